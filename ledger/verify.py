"""Integrity of the store: every quote still slices out of its source, every history whole,
the hash chain unbroken; and the ledger's checks put as findings a person can act on."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger import names
from ledger.chain import GENESIS, Link, chain_sha256
from ledger.checks import Checks
from ledger.publication import entry_line
from ledger.records import Entry, Evidence, Period, Source, Term
from ledger.sources import sha256_of, source_id
from ledger.totals import Interval


@dataclass(frozen=True)
class Finding:
    """One integrity problem, named by the record it is in."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def verify_store(
    sources: Sequence[Source],
    evidence: Sequence[tuple[str, Evidence]],
    entries: Iterable[Entry],
    terms: Iterable[Term],
) -> list[Finding]:
    """Check sources, evidence and revision histories; return every problem found."""
    by_id = {source.id: source for source in sources}
    findings = [f for source in sources for f in _check_source(source)]
    for where, item in evidence:
        findings.extend(_check_evidence(where, item, by_id.get(item.source)))
    findings.extend(_check_histories("entry", entries))
    findings.extend(_check_histories("term", terms))
    return findings


def _check_source(source: Source) -> list[Finding]:
    where = f"source {source.id}"
    found = []
    if sha256_of(source.text) != source.sha256:
        found.append(Finding(where, "its text no longer matches its SHA-256"))
    if source_id(source.sha256) != source.id:
        found.append(Finding(where, "its id does not derive from its SHA-256"))
    for n, sentence in enumerate(source.sentences):
        if sentence.n != n:
            found.append(Finding(where, f"sentence {n} is missing (next is {sentence.n})"))
            break
        if source.text[sentence.start : sentence.end] != sentence.text:
            found.append(
                Finding(
                    f"{where} sentence {n}",
                    "its text no longer slices out of "
                    f"the source at [{sentence.start}, {sentence.end})",
                )
            )
    return found


def _check_evidence(where: str, item: Evidence, source: Source | None) -> list[Finding]:
    if source is None:
        return [Finding(where, f"its source {item.source} is missing")]
    if not 0 <= item.sentence < len(source.sentences):
        return [Finding(where, f"sentence {item.sentence} of {item.source} is missing")]
    sentence = source.sentences[item.sentence]
    found = []
    if source.text[item.start : item.end] != item.quote:
        found.append(
            Finding(
                where,
                f"the quote no longer slices out of {item.source} at [{item.start}, {item.end})",
            )
        )
    if not (sentence.start <= item.start and item.end <= sentence.end):
        found.append(Finding(where, f"the quote lies outside sentence {item.sentence}"))
    return found


def _check_histories(kind: str, revisions: Iterable[Entry | Term]) -> list[Finding]:
    histories: dict[str, list[Entry | Term]] = defaultdict(list)
    for revision in revisions:
        histories[revision.id].append(revision)
    found = []
    for record_id, history in sorted(histories.items()):
        history.sort(key=lambda r: r.revision)
        numbers = [r.revision for r in history]
        if numbers != list(range(1, len(history) + 1)):
            found.append(
                Finding(
                    f"{kind} {record_id}",
                    f"its revisions are {numbers}, not 1, 2, ... without gaps",
                )
            )
        for earlier, later in itertools.pairwise(history):
            if later.recorded_at < earlier.recorded_at:
                found.append(
                    Finding(
                        f"{kind} {record_id} revision {later.revision}",
                        "it was recorded before the revision it follows",
                    )
                )
        for revision in history:
            if not revision.evidence and not revision.retracted:
                found.append(
                    Finding(
                        f"{kind} {record_id} revision {revision.revision}", "it has no evidence"
                    )
                )
    return found


def verify_published_rows(
    rows: Iterable[tuple[str, int, dt.datetime, str]], entries: Iterable[Entry]
) -> list[Finding]:
    """Each stored row of entries.csv must be the row of its revision as stored: the export
    publishes it as it is. (A row rendered for another moment than its revision's is not
    published, and so not checked.)"""
    by_revision = {(e.id, e.revision): e for e in entries}
    found = []
    for entry_id, revision, rendered_for, line in rows:
        entry = by_revision.get((entry_id, revision))
        if entry is None or entry.recorded_at != rendered_for or entry_line(entry) == line:
            continue
        found.append(
            Finding(
                f"entry {entry_id} revision {revision}",
                "its stored row of entries.csv differs from the revision: the export would "
                "publish what the ledger does not say",
            )
        )
    return found


def verify_journal(
    links: Sequence[tuple[Link, str]], entries: Iterable[Entry], terms: Iterable[Term]
) -> list[Finding]:
    """Recompute the hash chain, naming its first broken link, and check that every revision
    was written through the journal."""
    found = []
    previous = GENESIS
    for link, recomputed in links:
        if link.chain_sha256 is None or link.content_sha256 is None:
            # The migration that added the chain sealed every older row in its own
            # transaction, and every write since seals itself: a row without hashes lost them.
            found.append(
                Finding(
                    str(link),
                    "its hashes were removed: every row of a chained journal is sealed when "
                    "it is written, so this row and those after it can no longer be checked",
                )
            )
            break
        if recomputed != link.content_sha256:
            found.append(
                Finding(
                    str(link),
                    "what it wrote has changed since: the records no "
                    "longer hash to the content hash it sealed",
                )
            )
            break
        if chain_sha256(previous, link, link.content_sha256) != link.chain_sha256:
            found.append(
                Finding(
                    str(link),
                    "the chain is broken here: this row does not follow "
                    "from the one before (a row was removed, inserted or altered)",
                )
            )
            break
        previous = link.chain_sha256
    written = {(link.subject, link.revision) for link, _ in links}
    imports = {
        (link.recorded_at, link.author) for link, _ in links if link.action == "entry.import"
    }
    for noun, revisions in (("entry", entries), ("term", terms)):
        for revision in revisions:
            if (revision.id, revision.revision) in written:
                continue
            if noun == "entry" and (revision.recorded_at, revision.author) in imports:
                continue
            found.append(
                Finding(
                    f"{noun} {revision.id} revision {revision.revision}",
                    "no journal row wrote it: it was added behind the ledger's back",
                )
            )
    return found


def verify_published_head(links: Sequence[Link], seq: int, chain_sha256: str) -> list[Finding]:
    """Check that the chain still holds a head published earlier: the same row, the same hash.

    Recomputing the whole chain proves it consistent; only a hash kept outside the store shows
    that it was not cut short or rewritten from some row on and consistently resealed.
    """
    where = f"published head journal {seq}"
    found = next((link for link in links if link.seq == seq), None)
    if found is None:
        last = links[-1].seq if links else 0
        return [
            Finding(
                where,
                f"the journal has no row {seq} (it ends at journal {last}): rows were removed "
                "or the store is not the one that published this head",
            )
        ]
    if found.chain_sha256 != chain_sha256:
        return [
            Finding(
                where,
                f"its chain hash is now {found.chain_sha256}, not the published "
                f"{chain_sha256}: the journal was rewritten at or before this row",
            )
        ]
    return []


def describe_checks(checks: Checks, entries: Iterable[Entry]) -> list[Finding]:
    """The ledger's conflicts and still-held mismatches as findings that name their entries and
    the sources each entry cites (data to review, not damage to the store)."""
    entries = list(entries)
    sources = {entry.id: sorted({e.source for e in entry.evidence}) for entry in entries}

    def cited(entry_ids: Iterable[str]) -> str:
        return ", ".join(f"{i} ({', '.join(sources.get(i, [])) or 'no source'})" for i in entry_ids)

    found = []
    for conflict in checks.conflicts:
        said = "; ".join(
            f"{r.entry} ({', '.join(r.sources)}) says {r.words}"
            + (f", the others imply {_interval(r.implied)}" if r.implied else "")
            for r in conflict.reports
        )
        readings = " or ".join(", ".join(r) for r in conflict.readings)
        found.append(
            Finding(
                f"conflict {conflict.id} {_days(conflict.period)}",
                f"reports that cannot all be true: {said}. The totals span every reading "
                f"that sets aside {conflict.set_aside} of them: {readings}",
            )
        )
    for check in checks.mismatches:
        behind = sorted(
            entry.id
            for entry in entries
            if check.party in (None, entry.party)
            and entry.population == "hostages"
            and entry.period.start <= check.date
        )
        found.append(
            Finding(
                f"still held {check.party or 'every party'} by {check.date.isoformat()}",
                f"more were reported out ({_interval(check.out)}) than captured "
                f"({_interval(check.captured)}): {cited(behind)}",
            )
        )
    return found


def describe_implied(checks: Checks) -> list[Finding]:
    """The ledger's implied counts, each naming the entries that imply it."""
    return [
        Finding(f"implied {f.id} ({f.reason}) {_days(f.period)}", f.description)
        for f in checks.implied
    ]


def _days(period: Period) -> str:
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()}..{period.end.isoformat()}"


def _interval(interval: Interval) -> str:
    if interval.high is None:
        return f"at least {interval.low}"
    if interval.low == interval.high:
        return str(interval.low)
    return f"{interval.low} to {interval.high}"


def describe_names(entries: Iterable[Entry], terms: Iterable[Term]) -> list[Finding]:
    """Names in force that new writes would not store as they are (not in Unicode NFKC, or
    holding a character that does not show): written before names were normalised, each is a
    key of its own beside its look-alike, until the record is revised."""
    found = []
    for kind, records in (("entry", entries), ("term", terms)):
        for record in records:
            given = {"party": (record.party,) if record.party else ()}
            given["nationality"] = getattr(record, "nationality", None) or ()
            given["batch"] = getattr(record, "batch", None) or ()
            for field, values in given.items():
                for name in values:
                    if names.normal(name) == name and not names.invisible(name):
                        continue
                    found.append(
                        Finding(
                            f"{kind} {record.id} revision {record.revision}",
                            f"{field} {name!r} is not written as a new write would store it "
                            f"({names.normal(name)!r}, nothing hidden): it is a key of its own "
                            "beside its look-alike; revise the record.",
                        )
                    )
    return found
