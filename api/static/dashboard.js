// The dashboard's enhancements: charts (Vega-Lite, from /v1/charts/*.json), the drill-down from
// a number to its entries and from an entry to its sentences, and the ledger's checks. Every
// request goes to this service's public JSON routes. Offsets are Unicode code points, so text is
// sliced with Array.from, never with UTF-16 string indices.
(function () {
  "use strict";

  const main = document.getElementById("dashboard");
  if (!main) return;
  const query = new URLSearchParams(main.dataset.query || "");
  const asOf = query.get("as_of");
  const sourceCache = new Map();
  const PAGE_SIZE = "100"; // entries per page of a drill-down; "Show more" fetches the next

  // --- small helpers ---------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    // Any depth: describe() nests the arrays of entryButtons() inside its own.
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function withAsOf(path) {
    const url = new URL(path, window.location.origin);
    if (asOf && !url.searchParams.has("as_of")) url.searchParams.set("as_of", asOf);
    return url.pathname + url.search;
  }

  async function fetchOk(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return response;
  }
  const getJSON = async (path) => (await fetchOk(path)).json();

  function interval(low, high) {
    if (high === null || high === undefined) return `${low} or more`;
    return low === high ? String(low) : `${low}–${high}`;
  }

  const words = (value) => String(value || "").replaceAll("_", " ");
  // A part of a scope: one value, several (a dual national, a figure with bodies), or none.
  const listed = (value) => (Array.isArray(value) ? value : value ? [value] : []);
  const stated = (value, joiner = ", ") =>
    listed(value).length ? listed(value).map(words).join(joiner) : "not stated";
  const capitalized = (value) => value.charAt(0).toUpperCase() + value.slice(1);
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

  function isoDay(value) {
    if (typeof value === "string") return value.slice(0, 10);
    return new Date(value).toISOString().slice(0, 10);
  }

  function fail(container, error) {
    console.error(error);
    container.replaceChildren(el("p", { role: "alert" }, `Could not load: ${error.message}`));
  }

  async function source(id) {
    if (!sourceCache.has(id)) {
      sourceCache.set(
        id,
        Promise.all([
          getJSON(`/v1/sources/${encodeURIComponent(id)}`),
          fetchOk(`/v1/sources/${encodeURIComponent(id)}/text`).then((r) => r.text()),
        ]).then(([meta, text]) => ({ meta, text, points: Array.from(text) })),
      );
    }
    return sourceCache.get(id);
  }

  function sourceName(meta) {
    const named = [meta.title, meta.publisher].filter(Boolean).join(", ");
    return `${named || "Report"} (published ${meta.published_on}; ${meta.id})`;
  }

  // --- the drill-down: a number or a day → its entries -----------------------------------------

  const drillPanel = document.getElementById("drill");
  const drillTitle = document.getElementById("drill-title");
  const drillBody = document.getElementById("drill-body");
  const evidencePanel = document.getElementById("evidence");
  const evidenceTitle = document.getElementById("evidence-title");
  const evidenceBody = document.getElementById("evidence-body");

  function show(panel, heading) {
    panel.hidden = false;
    heading.focus({ preventScroll: true });
    panel.scrollIntoView({ block: "start" });
  }

  function dayLink(population, day, covering) {
    const wanted = new URLSearchParams({ population, kind: "released" });
    for (const name of ["party", "nationality", "framework", "exchange"]) {
      if (query.get(name)) wanted.set(name, query.get(name));
    }
    // A running total by a day is built from every entry whose period starts by then.
    if (covering) wanted.set("from", day);
    wanted.set("to", day);
    wanted.set("page_size", PAGE_SIZE);
    return withAsOf(`/v1/entries?${wanted}`);
  }

  function dayViews(population, day) {
    const who = `${capitalized(population)} released`;
    return [
      {
        label: "behind the running total",
        title: `${who} by the end of ${day}: the entries the running total is built from`,
        url: dayLink(population, day, false),
      },
      {
        label: "covering that day only",
        title: `${who}: the entries whose period covers ${day}`,
        url: dayLink(population, day, true),
      },
    ];
  }

  function nationalityLink(datum) {
    const wanted = new URLSearchParams({ population: datum.population, kind: "released" });
    for (const name of ["party", "framework", "exchange"]) {
      if (query.get(name)) wanted.set(name, query.get(name));
    }
    if (datum.stated) wanted.set("nationality", datum.nationality);
    wanted.set("to", datum.date);
    wanted.set("page_size", PAGE_SIZE);
    return withAsOf(`/v1/entries?${wanted}`);
  }

  function nextPage(response) {
    const found = (response.headers.get("Link") || "").match(/<([^>]+)>;\s*rel="next"/);
    if (!found) return null;
    const url = new URL(found[1], window.location.origin);
    return url.pathname + url.search;
  }

  // views: [{label, title, url, unstated}], one list of entries each; `chosen` is shown, with
  // buttons to switch to the others. `unstated`: keep only entries with no nationality, which
  // /v1/entries cannot filter on.
  async function drill(views, chosen = 0) {
    const view = views[chosen];
    drillTitle.textContent = `Behind this number: ${view.title}`;
    drillBody.replaceChildren(el("p", {}, "Loading the entries…"));
    show(drillPanel, drillTitle);
    try {
      const listing = await entriesListing(view);
      drillBody.replaceChildren(views.length > 1 ? viewSwitch(views, chosen) : "", listing);
    } catch (error) {
      fail(drillBody, error);
    }
  }

  function viewSwitch(views, chosen) {
    return el(
      "p",
      { class: "views" },
      "Entries: ",
      views.map((view, n) => {
        const button = el(
          "button",
          { type: "button", class: "view", "aria-pressed": n === chosen ? "true" : "false" },
          view.label,
        );
        button.addEventListener("click", () => drill(views, n));
        return button;
      }),
    );
  }

  async function entriesListing(view) {
    const keep = view.unstated ? (entry) => !entry.nationality : () => true;
    const caption = el("caption", {});
    const rows = el("tbody", {});
    const more = el("button", { type: "button", class: "more", hidden: true }, "Show more entries");
    const status = el("p", { class: "meta", role: "status" });
    let next = withAsOf(view.url);
    let shown = 0;
    let total = null;

    async function load() {
      more.disabled = true;
      let added = 0;
      // A page the client-side filter empties is skipped, so "more" always adds something.
      while (next && !added) {
        const response = await fetchOk(next);
        const entries = (await response.json()).filter(keep);
        if (!view.unstated) total = Number(response.headers.get("X-Total-Count")) || null;
        rows.append(...entries.map(entryRow));
        added += entries.length;
        next = nextPage(response);
      }
      shown += added;
      const of = total && total > shown ? ` (the first ${shown} of ${total})` : "";
      caption.textContent = `${plural(total || shown, "entry", "entries")}${of}: ${view.title}`;
      status.textContent = next ? `${shown} shown; more follow.` : "";
      more.hidden = !next;
      more.disabled = false;
    }

    more.addEventListener("click", () => load().catch((error) => fail(status, error)));
    await load();
    if (!shown) return el("p", {}, "No entry is behind this number.");
    const head = ["Entry", "Period", "Party", "Nationality", "Framework", "Reported as", "Sources"];
    return el(
      "div",
      {},
      el(
        "table",
        { id: "drill-entries" },
        caption,
        el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
        rows,
      ),
      more,
      status,
    );
  }

  function entryRow(entry) {
    const period =
      entry.period.start === entry.period.end
        ? entry.period.start
        : `${entry.period.start} to ${entry.period.end}`;
    const count =
      entry.qualifier === "between"
        ? `${entry.count} to ${entry.count_high}`
        : `${entry.qualifier === "exact" ? "" : words(entry.qualifier) + " "}${entry.count}`;
    const population = entry.count === 1 ? entry.population.replace(/s$/, "") : entry.population;
    return el(
      "tr",
      {},
      el(
        "th",
        { scope: "row" },
        el(
          "button",
          { type: "button", class: "entry-open", dataset: { entry: entry.id } },
          `${count} ${population} ${stated(entry.kind, " and ")}`,
        ),
        el("div", { class: "meta" }, entry.id),
      ),
      el("td", {}, period, entry.period_phrase ? el("div", { class: "meta" }, `“${entry.period_phrase}”`) : null),
      el("td", {}, stated(entry.party)),
      el("td", {}, stated(entry.nationality, "-")),
      el("td", {}, stated(entry.framework)),
      el("td", {}, entry.description),
      el("td", { class: "num" }, entry.corroboration),
    );
  }

  // --- an entry → its sentences, highlighted at their offsets ----------------------------------

  async function openEntry(id) {
    evidenceTitle.textContent = `The sentences behind entry ${id}`;
    evidenceBody.replaceChildren(el("p", {}, "Loading the sources…"));
    show(evidencePanel, evidenceTitle);
    try {
      const entry = await getJSON(withAsOf(`/v1/entries/${encodeURIComponent(id)}`));
      const articles = await Promise.all(entry.evidence.map((ev) => evidenceArticle(ev)));
      evidenceBody.replaceChildren(
        el(
          "p",
          {},
          `Count ${entry.count}${entry.count_high === null ? "" : `–${entry.count_high}`} `,
          `(${words(entry.qualifier)}) · ${entry.population} ${stated(entry.kind, " and ")} · `,
          `${entry.period.start} to ${entry.period.end} · party ${stated(entry.party)}`,
          entry.exchange ? ` · exchange ${entry.exchange}` : "",
          entry.batch ? ` · batch ${stated(entry.batch)}` : "",
          ` · “${entry.description}”. `,
          entry.period_note ? el("span", { class: "meta" }, `Dates: ${entry.period_note}`) : null,
        ),
        ...articles,
        await related(entry),
      );
    } catch (error) {
      fail(evidenceBody, error);
    }
  }

  function highlighted(points, from, to, ev) {
    // The span [from, to) of the text, with the quote [ev.start, ev.end) marked.
    const part = (a, b) => points.slice(a, b).join("");
    const mark = el(
      "mark",
      { class: "quote", dataset: { source: ev.source, start: ev.start, end: ev.end } },
      part(ev.start, ev.end),
    );
    return [part(from, ev.start), mark, part(ev.end, to)];
  }

  async function evidenceArticle(ev) {
    const { meta, points } = await source(ev.source);
    const sentence = meta.sentences.find((s) => s.n === ev.sentence);
    const sliced = points.slice(ev.start, ev.end).join("");
    const whole = el(
      "div",
      { class: "source-text", tabindex: "0", "aria-label": `Full text of ${sourceName(meta)}` },
      points.slice(0, sentence.start).join(""),
      el("span", { class: "sentence" }, highlighted(points, sentence.start, sentence.end, ev)),
      points.slice(sentence.end).join(""),
    );
    const article = el(
      "article",
      { class: "evidence" },
      el("h3", {}, sourceName(meta)),
      el("blockquote", { cite: `/v1/sources/${ev.source}/text` },
        highlighted(points, sentence.start, sentence.end, ev)),
      el(
        "p",
        { class: "meta" },
        `Sentence ${sentence.n}; the quoted words are characters ${ev.start}–${ev.end} of the report. `,
        el("a", { href: `/v1/sources/${ev.source}/text` }, "The report as received"),
        meta.url ? [" · ", el("a", { href: meta.url, rel: "noreferrer" }, "original address")] : null,
      ),
      sliced === ev.quote
        ? null
        : el("p", { role: "alert", class: "finding" }, "The stored text at these offsets differs from the quote."),
      el("details", {}, el("summary", {}, "The whole report, with the sentence and quote marked"), whole),
    );
    return article;
  }

  async function related(entry) {
    // The totals of the groups the entry is about: its event, and the findings it is part of.
    const wanted = new URLSearchParams({ population: entry.population, kind: listed(entry.kind)[0] });
    for (const name of ["party", "framework", "exchange", "nationality", "batch"]) {
      if (listed(entry[name]).length) wanted.set(name, listed(entry[name])[0]);
    }
    wanted.set("events", "true");
    const totals = await getJSON(withAsOf(`/v1/totals?${wanted}`));
    const event = totals.events.find((e) => e.entries.includes(entry.id));
    const conflicts = totals.conflicts.filter((c) => c.entries.includes(entry.id));
    const implied = totals.implied.filter((f) => f.entries.includes(entry.id) || f.less.includes(entry.id));
    const items = [];
    if (event) {
      const { agree, disagree } = sidesOf(entry, event, conflicts);
      const names = async (ids) =>
        (await Promise.all([...ids].map((id) => source(id).then((s) => s.meta)))).map(sourceName).join("; ");
      items.push(el("li", { class: "agree" }, `Sources that agree with this count (${agree.size}): `, await names(agree)));
      if (disagree.size) {
        items.push(el("li", { class: "finding disagree" },
          `Sources that report a conflicting count (${disagree.size}): `, await names(disagree)));
      }
      const others = event.entries.filter((id) => id !== entry.id);
      if (others.length) items.push(el("li", {}, "Other entries reporting the same event: ", entryButtons(others)));
    }
    for (const finding of [...conflicts, ...implied]) {
      items.push(el("li", { class: "finding" }, describe(finding)));
    }
    if (!items.length) items.push(el("li", {}, "No other report of this event, and no finding involves it."));
    return el("section", { class: "related" }, el("h3", {}, "Corroboration, conflicts and implied counts"), el("ul", {}, items));
  }

  // The range of counts a report allows, as the totals read it (DESIGN.md: intervals).
  function bound(report) {
    if (report.qualifier === "at_least") return [report.count, Infinity];
    if (report.qualifier === "at_most") return [0, report.count];
    if (report.qualifier === "between") return [report.count, report.count_high];
    return [report.count, report.count];
  }

  // The sources of the entry's event agree with it; of the other reports of its conflicts that
  // give the same days, those whose range holds the entry's count agree too, the rest conflict.
  function sidesOf(entry, event, conflicts) {
    const [low, high] = bound(entry);
    const agree = new Set(event.sources);
    const disagree = new Set();
    for (const conflict of conflicts) {
      for (const report of conflict.reports) {
        const sameDays = report.period.start === entry.period.start && report.period.end === entry.period.end;
        if (report.entry === entry.id || !sameDays) continue;
        const otherHigh = report.stated.high === null ? Infinity : report.stated.high;
        const side = Math.max(low, report.stated.low) <= Math.min(high, otherHigh) ? agree : disagree;
        report.sources.forEach((id) => side.add(id));
      }
    }
    for (const id of agree) disagree.delete(id);
    return { agree, disagree };
  }

  function entryButtons(ids) {
    return ids.flatMap((id, n) => [
      n ? ", " : "",
      el("button", { type: "button", class: "entry-open", dataset: { entry: id } }, id),
    ]);
  }

  function reading(ids) {
    return ids.length ? ids.join(", ") : "none";
  }

  function describe(finding) {
    const period = finding.period ? ` (${finding.period.start} to ${finding.period.end})` : "";
    switch (finding.check) {
      case "conflict":
        return [`Conflict${period}: reports that cannot all be true: `, finding.reports.map((r) =>
          `${r.entry} says ${words(r.qualifier)} ${interval(r.stated.low, r.stated.high)}` +
          (r.implied ? `, the others imply ${interval(r.implied.low, r.implied.high)}` : "")).join("; "),
          `. The figures span every reading that sets aside ${finding.set_aside} of them: `,
          finding.readings.map(reading).join(" or "), " · ", entryButtons(finding.entries)];
      case "implied":
        return [`Implied (${words(finding.reason)})${period}: ${finding.description} · `,
          entryButtons([...finding.entries, ...finding.less])];
      case "more_out_than_captured":
        return [`More reported out (${interval(finding.out.low, finding.out.high)}) than captured `,
          `(${interval(finding.captured.low, finding.captured.high)}) by ${finding.date}, `,
          `${finding.party ? `party ${finding.party}` : "every party together"}.`];
      default:
        return [JSON.stringify(finding)];
    }
  }

  // --- the ledger's checks ---------------------------------------------------------------------

  async function drawChecks() {
    const body = document.getElementById("checks-body");
    try {
      const checks = await getJSON(withAsOf("/v1/checks"));
      const findings = [...checks.conflicts, ...checks.mismatches];
      body.replaceChildren(
        el("p", { id: "checks-summary" },
          `${plural(checks.conflicts.length, "conflict", "conflicts")}, `,
          `${plural(checks.implied.length, "implied count", "implied counts")} and `,
          `${plural(checks.mismatches.length, "day", "days")} with more reported out than captured `,
          "in the whole ledger", findings.length ? ":" : "."),
      );
      if (findings.length) {
        body.append(el("ul", {}, findings.map((f) => el("li", { class: "finding" }, describe(f)))));
      }
      if (checks.implied.length) {
        body.append(el("details", {},
          el("summary", {}, `The ${plural(checks.implied.length, "implied count", "implied counts")}`),
          el("ul", {}, checks.implied.map((f) => el("li", { class: "finding implied" }, describe(f))))));
      }
    } catch (error) {
      fail(body, error);
    }
  }

  // --- charts ----------------------------------------------------------------------------------

  async function drawChart(figure) {
    const name = figure.dataset.chart;
    const target = figure.querySelector(".vega");
    try {
      const spec = await getJSON(`/v1/charts/${name}.json?${query}`);
      // The same spec as the PNG and SVG, fitted to the page's width instead of a fixed one.
      // A height in steps per bar cannot be fitted (Vega-Lite drops the fit with a warning),
      // so the bars' total height is set instead.
      if (spec.height && spec.height.step) {
        spec.height = Math.max(1, spec.data.values.length) * spec.height.step;
      }
      spec.width = "container";
      spec.autosize = { type: "fit-x", contains: "padding" };
      // ast: Vega interprets its expressions instead of compiling them with Function(), so the
      // page's content security policy needs no 'unsafe-eval'.
      const result = await window.vegaEmbed(target, spec, { actions: false, renderer: "svg", ast: true });
      target.dataset.rendered = "true";
      result.view.addEventListener("click", (event, item) => chartClicked(figure, item));
    } catch (error) {
      fail(target, error);
    }
  }

  function chartClicked(figure, item) {
    if (!item || !item.datum) return;
    // A day's column (an unseen rule), a point or a bar: its datum is the row.
    const datum = item.datum;
    const marktype = item.mark && item.mark.marktype;
    if (!["symbol", "rect", "rule"].includes(marktype) || datum.date === undefined) return;
    if (figure.dataset.chart === "nationality") {
      const title = `${capitalized(datum.population)} released, ${datum.nationality}, by the end of ${datum.date}`;
      drill([{ title, url: nationalityLink(datum), unstated: !datum.stated }]);
      return;
    }
    drill(dayViews(figure.dataset.population, isoDay(datum.date)));
  }

  // --- wiring ----------------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.drill");
    if (link) {
      event.preventDefault();
      const figure = link.closest("figure.chart");
      if (link.dataset.day && figure) {
        drill(dayViews(figure.dataset.population, link.dataset.day), link.dataset.view === "covering" ? 1 : 0);
      } else {
        const title = link.dataset.title || link.textContent;
        drill([{ title, url: link.getAttribute("href"), unstated: link.dataset.stated === "false" }]);
      }
      return;
    }
    const button = event.target.closest("button.entry-open");
    if (button) {
      for (const other of document.querySelectorAll("button.entry-open[aria-pressed]")) {
        other.removeAttribute("aria-pressed");
      }
      button.setAttribute("aria-pressed", "true");
      openEntry(button.dataset.entry);
    }
  });

  drawChecks();
  if (typeof window.vegaEmbed === "function") {
    document.querySelectorAll("figure.chart").forEach(drawChart);
  } else {
    console.error("The Vega bundle did not load; the charts' data tables still hold every figure.");
  }
})();
