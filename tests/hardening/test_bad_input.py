"""A catalogue of hostile and broken requests. Each gets the documented 4xx as RFC 9457
problem+json (type, title, status, detail; `errors` naming the field for validation) and
writes nothing: every table has as many rows after it as before."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from ledger.records import MAX_COUNT
from tests.e2e.conftest import make_token
from tests.e2e.server import Server, serving
from tests.hardening.conftest import ENGINES, counts, database_url

REPORT = (
    "date 2023-11-29\n"
    "Hamas released 12 hostages on Wednesday, officials said.\n"
    "Israel freed 30 Palestinian detainees later that night.\n"
)
QUOTE = "Hamas released 12 hostages"
TERM = "trm_seed_truce_hostages"  # from the seed ledger
REQUEST = 120


@dataclass
class Ledger:
    """The running server, its database, and records to aim at."""

    engine: str
    server: Server
    url: str
    tokens: dict[str, str]
    source: str = ""
    entry: str = ""
    term: dict[str, Any] = field(default_factory=dict)  # the seed term TERM, as served
    used_key: str = "catalogue-used-key"

    def body(self, **changes: Any) -> dict[str, Any]:
        """A valid entry, changed: each case breaks one thing in it."""
        entry: dict[str, Any] = {
            "kind": "released",
            "population": "hostages",
            "count": 12,
            "qualifier": "exact",
            "period": {"start": "2023-11-29", "end": "2023-11-29"},
            "party": "Hamas",
            "framework": "truce_deal",
            "description": "hostages",
            "evidence": [{"source": self.source, "sentence": 1, "quote": QUOTE}],
        }
        entry.update(changes)
        return entry

    def evidence(self, **changes: Any) -> dict[str, Any]:
        return self.body(
            evidence=[{"source": self.source, "sentence": 1, "quote": QUOTE, **changes}]
        )

    def note(self, **changes: Any) -> dict[str, Any]:
        """A valid context note, changed."""
        note = {"topic": "hostages held", "count": 3, "unit": "people",
                "evidence": [{"source": self.source, "sentence": 1, "quote": QUOTE}]}  # fmt: skip
        return {**note, **changes}

    def revision(self, **changes: Any) -> dict[str, Any]:
        return {**self.body(), "reason": "a correction", **changes}

    def term_revision(self, **changes: Any) -> dict[str, Any]:
        """The seed term as it reads, resent as a revision: valid but for what changes."""
        fields = ("exchange", "population", "kind", "party", "count", "per", "qualifier", "period")
        term = {name: self.term[name] for name in fields}
        term.update(framework=self.term["framework"], description=self.term["description"])
        term["evidence"] = [
            {"source": e["source"], "sentence": e["sentence"], "quote": e["quote"]}
            for e in self.term["evidence"]
        ]
        return {**term, "reason": "a correction", **changes}


@pytest.fixture(scope="module", params=ENGINES)
def ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A seeded server with one more report and one entry citing it."""
    workdir = tmp_path_factory.mktemp("bad-input")
    with database_url(request.param, workdir, request) as url:
        tokens = {role: make_token(url, role, f"catalogue {role}") for role in ("editor", "admin")}
        with serving(url, workdir) as server:
            ledger = Ledger(request.param, server, url, tokens)
            auth = {"Authorization": f"Bearer {tokens['editor']}"}
            source = requests.post(
                server.base + "/v1/sources", json={"text": REPORT}, headers=auth, timeout=REQUEST
            )
            assert source.status_code == 201, source.text
            ledger.source = source.json()["id"]
            assert [s["text"] for s in source.json()["sentences"]][1].startswith(QUOTE)
            # The valid body is accepted, so each case below fails for its one change only.
            entry = requests.post(
                server.base + "/v1/entries",
                json=ledger.body(),
                headers={**auth, "Idempotency-Key": ledger.used_key},
                timeout=REQUEST,
            )
            assert entry.status_code == 201, entry.text
            ledger.entry = entry.json()["id"]
            term = requests.get(f"{server.base}/v1/terms/{TERM}", timeout=REQUEST)
            assert term.status_code == 200, term.text
            ledger.term = term.json()
            yield ledger


Body = Callable[[Ledger], Any]


@dataclass
class RawAnswer:
    """An answer read off a raw socket, with the parts of requests' Response the test reads."""

    status_code: int
    headers: CaseInsensitiveDict
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def send_raw(ledger: Ledger, head: str, body: bytes = b"") -> RawAnswer:
    """Bytes no HTTP client library would send (a header folded over two lines, a header
    name with a space), written to the socket as they are."""
    address = urlsplit(ledger.server.base)
    with socket.create_connection((address.hostname, address.port), timeout=REQUEST) as sock:
        sock.sendall(head.encode("latin-1") + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        headers = CaseInsensitiveDict(answer.getheaders())
        return RawAnswer(answer.status, headers, answer.read().decode())


def raw_write(*lines: str) -> Callable[[Ledger], tuple[str, bytes]]:
    """A valid entry POSTed with the editor's token, with the given header lines added."""

    def request(ledger: Ledger) -> tuple[str, bytes]:
        body = json.dumps(ledger.body()).encode()
        head = [
            "POST /v1/entries HTTP/1.1",
            f"Host: {urlsplit(ledger.server.base).netloc}",
            f"Authorization: Bearer {ledger.tokens['editor']}",
            "Content-Type: application/json",
            *lines,
            "Connection: close",
        ]
        if not any(line.lower().startswith("transfer-encoding:") for line in lines):
            head.append(f"Content-Length: {len(body)}")
        return "\r\n".join(head) + "\r\n\r\n", body

    return request


@dataclass(frozen=True)
class Bad:
    """One hostile request and the answer it must get."""

    name: str
    status: int
    method: str = "POST"
    path: str = "/v1/entries"
    json: Body | None = None  # a JSON body, made from the ledger
    raw: Body | None = None  # or raw bytes
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = "editor"  # a role, None for no token, or "bogus"
    field: str | None = None  # the field `errors` must name (422)
    wire: Callable[[Ledger], tuple[str, bytes]] | None = None  # or the raw head and body
    chunked: bool = False  # the raw body sent in chunks, without a Content-Length

    def send(self, ledger: Ledger) -> requests.Response | RawAnswer:
        if self.wire is not None:
            return send_raw(ledger, *self.wire(ledger))
        formats = {"entry": ledger.entry, "term": TERM}
        headers = {k: v.format(**formats) if "{" in v else v for k, v in self.headers.items()}
        if self.token == "bogus":
            headers.setdefault("Authorization", "Bearer elt_not-a-token-anyone-made")
        elif self.token:
            headers.setdefault("Authorization", f"Bearer {ledger.tokens[self.token]}")
        path = self.path.format(source=ledger.source, entry=ledger.entry, term=TERM)
        kwargs: dict[str, Any] = {"headers": headers, "timeout": REQUEST}
        if self.json is not None:
            kwargs["json"] = self.json(ledger)
        if self.raw is not None:
            kwargs["data"] = self.raw(ledger)
            if self.chunked:
                data, size = kwargs["data"], 2**20
                kwargs["data"] = (data[at : at + size] for at in range(0, len(data), size))
        return requests.request(self.method, ledger.server.base + path, **kwargs)


JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


def with_raw(ledger: Ledger, field_name: str, raw_json: str, **changes: Any) -> bytes:
    """The valid body with one field's value written as raw JSON text (NaN, \\udc00, 1e400)."""
    marker = "__RAW__"
    body = json.dumps(ledger.body(**{field_name: marker}, **changes))
    return body.replace(f'"{marker}"', raw_json).encode()


def source(text: str, **meta: Any) -> Body:
    return lambda _: {"text": text, **meta}


CATALOGUE = [
    # --- bodies that cannot be read --------------------------------------------------------
    Bad("malformed JSON", 400, raw=lambda _: b'{"kind": "released",', headers=JSON),
    Bad("JSON with trailing garbage", 400, raw=lambda _: b'{"kind": "released"} }{', headers=JSON),
    Bad("100,000 nested arrays", 400, raw=lambda _: b"[" * 100_000 + b"]" * 100_000, headers=JSON),
    Bad("nesting deeper than 32", 400, json=lambda c: c.body(description=nested(40))),
    Bad("a JSON array, not an object", 422, json=lambda _: [], field="body"),
    Bad("a JSON string, not an object", 422, json=lambda _: "entry", field="body"),
    Bad("invalid UTF-8", 400, raw=lambda _: b'{"party": "\xff\xfe\xfd"}', headers=JSON),
    Bad(
        "UTF-16 JSON",
        400,
        raw=lambda c: json.dumps(c.body()).encode("utf-16"),
        headers=JSON,
    ),
    Bad(
        "Latin-1 JSON declared as such",
        400,
        raw=lambda c: json.dumps(c.body(party="Hamás"), ensure_ascii=False).encode("latin-1"),
        headers={"Content-Type": "application/json; charset=latin-1"},
    ),
    Bad(
        "text/plain",
        415,
        raw=lambda c: json.dumps(c.body()).encode(),
        headers={"Content-Type": "text/plain"},
    ),
    Bad("a form, not JSON", 415, raw=lambda _: {"kind": "released", "count": "12"}),
    Bad("no Content-Type", 415, raw=lambda c: json.dumps(c.body()).encode()),
    Bad(
        "XML",
        415,
        raw=lambda _: b"<entry><count>12</count></entry>",
        headers={"Content-Type": "application/xml"},
    ),
    Bad(
        "a body over 40 MB",
        413,
        path="/v1/sources",
        raw=lambda _: b'{"text": "' + b"a" * (41 * 1024 * 1024) + b'"}',
        headers=JSON,
    ),
    Bad(
        "a chunked body over 40 MB",
        413,
        path="/v1/sources",
        raw=lambda _: b'{"text": "' + b"a" * (41 * 1024 * 1024) + b'"}',
        headers=JSON,
        chunked=True,
    ),
    Bad(
        "a valid entry chunked, padded past 10 MB, then garbage",
        413,
        raw=lambda c: json.dumps(c.body()).encode() + b" " * (10 * 2**20) + b"}{garbage",
        headers=JSON,
        chunked=True,
    ),
    Bad(
        "a party with a zero-width space",
        422,
        json=lambda c: c.body(party="Ha\u200bmas"),
        field="party",
    ),
    Bad(
        "a nationality turned around by a bidirectional override",
        422,
        json=lambda c: c.body(nationality=["Thai", "\u202eiahT"]),
        field="nationality",
    ),
    Bad(
        "a date line in the year 9999",
        422,
        path="/v1/sources",
        json=source("date 9999-12-31\nHamas released 3 hostages on the last day."),
        field="published_on",
    ),
    Bad(
        "a date line in the year 1",
        422,
        path="/v1/sources",
        json=source("date 0001-01-01\nHamas released 3 hostages on the first day."),
        field="published_on",
    ),
    Bad(
        "a source text over 10 MB",
        413,
        path="/v1/sources",
        json=source("date 2023-11-29\n" + "Hamas released hostages. " * 420_000),
    ),
    # --- wrong types and impossible numbers ------------------------------------------------
    Bad("count as a string", 422, json=lambda c: c.body(count="12"), field="count"),
    Bad("count with a fraction", 422, json=lambda c: c.body(count=12.5), field="count"),
    Bad("count as a boolean", 422, json=lambda c: c.body(count=True), field="count"),
    Bad("count of 10**30", 422, json=lambda c: c.body(count=10**30), field="count"),
    Bad(
        "count of 1e400",
        422,
        raw=lambda c: with_raw(c, "count", "1e400"),
        headers=JSON,
        field="count",
    ),
    Bad("count NaN", 422, raw=lambda c: with_raw(c, "count", "NaN"), headers=JSON, field="count"),
    Bad(
        "count -Infinity",
        422,
        raw=lambda c: with_raw(c, "count", "-Infinity"),
        headers=JSON,
        field="count",
    ),
    Bad("a negative count", 422, json=lambda c: c.body(count=-5), field="count"),
    Bad("a count over the maximum", 422, json=lambda c: c.body(count=MAX_COUNT + 1), field="count"),
    Bad("period as a string", 422, json=lambda c: c.body(period="2023-11-29"), field="period"),
    Bad("party as an object", 422, json=lambda c: c.body(party={"name": "Hamas"}), field="party"),
    Bad("party of 101 characters", 422, json=lambda c: c.body(party="H" * 101), field="party"),
    Bad(
        "description of 2,001 characters",
        422,
        json=lambda c: c.body(description="d" * 2001),
        field="description",
    ),
    Bad("evidence as a string", 422, json=lambda c: c.body(evidence=QUOTE), field="evidence"),
    # --- periods ---------------------------------------------------------------------------
    Bad(
        "period reversed",
        422,
        json=lambda c: c.body(period={"start": "2023-11-29", "end": "2023-11-24"}),
        field="period.end",
    ),
    Bad(
        "period in the year 9999",
        422,
        json=lambda c: c.body(period={"start": "9999-01-01", "end": "9999-01-02"}),
        field="period",
    ),
    Bad(
        "February 30th",
        422,
        json=lambda c: c.body(period={"start": "2023-02-30", "end": "2023-02-30"}),
        field="period.start",
    ),
    Bad(
        "a moment, not a day",
        422,
        json=lambda c: c.body(period={"start": "2023-11-29T00:00:00Z", "end": "2023-11-29"}),
        field="period.start",
    ),
    Bad(
        "a period after the report was published",
        422,
        json=lambda c: c.body(period={"start": "2023-11-30", "end": "2023-11-30"}),
        field="period.start",
    ),
    # --- unknown vocabularies and fields ---------------------------------------------------
    Bad("unknown kind", 422, json=lambda c: c.body(kind="freed"), field="kind"),
    Bad(
        "unknown population", 422, json=lambda c: c.body(population="prisoners"), field="population"
    ),
    Bad("unknown qualifier", 422, json=lambda c: c.body(qualifier="roughly"), field="qualifier"),
    Bad("unknown framework", 422, json=lambda c: c.body(framework="ceasefire"), field="framework"),
    Bad("kind in capitals", 422, json=lambda c: c.body(kind="RELEASED"), field="kind"),
    Bad("an unknown field", 422, json=lambda c: c.body(names=["a", "b"]), field="names"),
    Bad("an unknown evidence field", 422, json=lambda c: c.evidence(page=3), field="evidence"),
    # --- evidence ----------------------------------------------------------------------------
    Bad(
        "a quote that is not in the sentence",
        422,
        json=lambda c: c.evidence(quote="Hamas released 13 hostages"),
        field="evidence[0].quote",
    ),
    Bad(
        "a quote from another sentence",
        422,
        json=lambda c: c.evidence(sentence=2),
        field="evidence[0].quote",
    ),
    Bad(
        "a quote across two sentences",
        422,
        json=lambda c: c.evidence(sentence=None, quote="officials said.\nIsrael freed"),
        field="evidence[0].quote",
    ),
    Bad(
        "a quote in other case",
        422,
        json=lambda c: c.evidence(quote=QUOTE.upper()),
        field="evidence[0].quote",
    ),
    Bad("an empty quote", 422, json=lambda c: c.evidence(quote=""), field="evidence"),
    Bad(
        "sentence 1,000,000",
        422,
        json=lambda c: c.evidence(sentence=1_000_000),
        field="evidence[0].sentence",
    ),
    Bad("sentence -1", 422, json=lambda c: c.evidence(sentence=-1), field="evidence"),
    Bad("sentence 10**30", 422, json=lambda c: c.evidence(sentence=10**30), field="evidence"),
    Bad("no evidence", 422, json=lambda c: c.body(evidence=[]), field="evidence"),
    Bad(
        "51 pieces of evidence",
        422,
        json=lambda c: c.body(evidence=[c.evidence()["evidence"][0]] * 51),
        field="evidence",
    ),
    Bad(
        "the same quote twice",
        422,
        json=lambda c: c.body(evidence=[c.evidence()["evidence"][0]] * 2),
        field="evidence[1]",
    ),
    Bad(
        "an entry's id as the source",
        422,
        json=lambda c: c.evidence(source=c.entry),
        field="evidence[0].source",
    ),
    Bad(
        "a path as the source",
        422,
        json=lambda c: c.evidence(source="../../../etc/passwd"),
        field="evidence[0].source",
    ),
    # --- text that cannot be stored --------------------------------------------------------
    Bad(
        "a lone surrogate in the party",
        422,
        raw=lambda c: with_raw(c, "party", '"Ham\\udc00as"'),
        headers=JSON,
        field="party",
    ),
    Bad(
        "a lone surrogate in the description",
        422,
        raw=lambda c: with_raw(c, "description", '"\\ud800"'),
        headers=JSON,
        field="description",
    ),
    Bad("a NUL in the party", 422, json=lambda c: c.body(party="Ha\x00mas"), field="party"),
    Bad(
        "a NUL in the nationality",
        422,
        json=lambda c: c.body(nationality="\x00"),
        field="nationality",
    ),
    # --- sources -----------------------------------------------------------------------------
    Bad("an empty report", 422, path="/v1/sources", json=source("  \n "), field="text"),
    Bad(
        "a report with a NUL",
        422,
        path="/v1/sources",
        json=source("date 2023-11-29\nHamas\x00 freed 3."),
        field="text",
    ),
    Bad(
        "a report without a date",
        422,
        path="/v1/sources",
        json=source("Hamas freed 3 hostages."),
        field="published_on",
    ),
    Bad(
        "a date that contradicts the report's",
        422,
        path="/v1/sources",
        json=source("date 2023-11-29\nHamas freed 3.", published_on="2023-11-28"),
        field="published_on",
    ),
    Bad(
        "a javascript: url",
        422,
        path="/v1/sources",
        json=source("date 2023-11-29\nHamas freed 4.", url="javascript:alert(1)"),
        field="url",
    ),
    Bad(
        "a title over two lines",
        422,
        path="/v1/sources",
        json=source("date 2023-11-29\nHamas freed 5.", title="a\r\nX-Injected: 1"),
        field="title",
    ),
    Bad(
        "a lone surrogate in the title",
        422,
        path="/v1/sources",
        raw=lambda _: b'{"text": "date 2023-11-29\\nHamas freed 6.", "title": "\\udc00"}',
        headers=JSON,
        field="title",
    ),
    Bad(
        "a text that is a number",
        422,
        path="/v1/sources",
        json=lambda _: {"text": 12},
        field="text",
    ),
    # --- ids of other objects, and paths that try to leave their folder ----------------------
    Bad("a term's id as an entry", 404, method="GET", path="/v1/entries/{term}"),
    Bad("an entry's id as a term", 404, method="GET", path="/v1/terms/{entry}"),
    Bad("an entry's id as a source", 404, method="GET", path="/v1/sources/{entry}"),
    Bad(
        "revising a term as an entry",
        404,
        method="PUT",
        path="/v1/entries/{term}",
        json=lambda c: c.revision(),
        headers={"If-Match": '"{entry}.r1"'},
    ),
    Bad("retracting a source", 404, method="DELETE", path="/v1/entries/{source}?reason=x"),
    Bad("../ in a source id", 404, method="GET", path="/v1/sources/..%2F..%2Fetc%2Fpasswd"),
    Bad("../ before /text", 404, method="GET", path="/v1/sources/%2e%2e%2f%2e%2e/text"),
    Bad("../ as an export", 404, method="GET", path="/v1/export/..%2F..%2Fetc%2Fpasswd.csv"),
    Bad("a NUL in an id", 404, method="GET", path="/v1/entries/ent_%00"),
    Bad("sentence past the end", 404, method="GET", path="/v1/sources/{source}/sentences/999999"),
    Bad(
        "a method no route takes",
        405,
        method="PATCH",
        path="/v1/entries/{entry}",
        json=lambda _: {},
    ),
    # --- who may write -----------------------------------------------------------------------
    Bad("no token", 401, json=lambda c: c.body(), token=None),
    Bad("a token nobody made", 401, json=lambda c: c.body(), token="bogus"),
    Bad(
        "Basic, not Bearer",
        401,
        json=lambda c: c.body(),
        token=None,
        headers={"Authorization": "Basic ZWRpdG9yOmVkaXRvcg=="},
    ),
    Bad(
        "Bearer without a token",
        401,
        json=lambda c: c.body(),
        token=None,
        headers={"Authorization": "Bearer "},
    ),
    Bad("an editor making tokens", 403, path="/v1/tokens", json=lambda _: {"role": "admin"}),
    # --- Idempotency-Key -------------------------------------------------------------------
    Bad(
        "a key of 256 characters",
        422,
        json=lambda c: c.body(),
        headers={"Idempotency-Key": "k" * 256},
        field="Idempotency-Key",
    ),
    Bad(
        "a key with a space",
        422,
        json=lambda c: c.body(),
        headers={"Idempotency-Key": "two words"},
        field="Idempotency-Key",
    ),
    Bad(
        "a key with a tab",
        422,
        json=lambda c: c.body(),
        headers={"Idempotency-Key": "a\tb"},
        field="Idempotency-Key",
    ),
    Bad(
        "a key outside ASCII",
        422,
        json=lambda c: c.body(),
        headers={"Idempotency-Key": "clé"},
        field="Idempotency-Key",
    ),
    Bad(
        "an empty key",
        422,
        json=lambda c: c.body(),
        headers={"Idempotency-Key": ""},
        field="Idempotency-Key",
    ),
    Bad(
        "a key folded over two lines (obs-fold)",
        400,
        wire=raw_write("Idempotency-Key: catalogue-key", " X-Injected: 1"),
    ),
    Bad(
        "a used key with another body",
        422,
        json=lambda c: c.body(count=13),
        headers={"Idempotency-Key": "catalogue-used-key"},
        field="Idempotency-Key",
    ),
    # --- revisions ---------------------------------------------------------------------------
    Bad(
        "PUT without If-Match",
        428,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.revision(),
    ),
    Bad(
        "PUT on a stale revision",
        412,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.revision(),
        headers={"If-Match": '"ent_whatever.r7"'},
    ),
    Bad(
        "PUT with an empty If-Match",
        412,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.revision(),
        headers={"If-Match": '""'},
    ),
    Bad(
        "DELETE with an empty If-Match",
        412,
        method="DELETE",
        path="/v1/entries/{entry}?reason=x",
        headers={"If-Match": '""'},
    ),
    Bad(
        "PUT without a reason",
        422,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.body(),
        headers={"If-Match": '"{entry}.r1"'},
        field="reason",
    ),
    Bad(
        "PUT with a quote not in the report",
        422,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.revision(evidence=[{"source": c.source, "quote": "freed 99"}]),
        headers={"If-Match": '"{entry}.r1"'},
        field="evidence[0].quote",
    ),
    Bad(
        "DELETE without a reason", 422, method="DELETE", path="/v1/entries/{entry}", field="reason"
    ),
    Bad(
        "PUT with If-Match: *, which names no revision",
        428,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.revision(count=13),
        headers={"If-Match": "*"},
    ),
    Bad(
        "a note's count as text",
        422,
        path="/v1/notes",
        json=lambda c: c.note(count="3"),
        field="count",
    ),
    Bad(
        "a note's count of 1e308",
        422,
        path="/v1/notes",
        json=lambda c: c.note(count=1e308),
        field="count",
    ),
    Bad(
        "a share over 100 percent",
        422,
        path="/v1/notes",
        json=lambda c: c.note(count=150, unit="percent"),
        field="count",
    ),
    # --- queries -----------------------------------------------------------------------------
    Bad(
        "as_of that is not a moment",
        422,
        method="GET",
        path="/v1/totals?as_of=yesterday",
        field="as_of",
    ),
    Bad(
        "as_of without a zone",
        422,
        method="GET",
        path="/v1/totals?as_of=2023-11-28T12:00:00",
        field="as_of",
    ),
    Bad(
        "from in the year 9999",
        422,
        method="GET",
        path="/v1/totals?from=9999-01-01",
        field="from",
    ),
    Bad(
        "page_size of 100,000",
        422,
        method="GET",
        path="/v1/entries?page_size=100000",
        field="page_size",
    ),
    Bad("page 0", 422, method="GET", path="/v1/sources?page=0", field="page"),
    Bad(
        "an unknown population",
        422,
        method="GET",
        path="/v1/totals?population=all",
        field="population",
    ),
    # --- the server's own limits, a token before the body, the reason for a change -----------
    Bad("a request line over 4 KB", 414, method="GET", path="/v1/checks?q=" + "x" * 4200),
    Bad("a header over 8 KB", 431, wire=raw_write("X-Padding: " + "a" * 9000)),
    Bad("a header name with a space", 400, wire=raw_write("Idempotency Key: catalogue-key")),
    Bad("a header name with brackets", 400, wire=raw_write("X-(Injected): 1")),
    Bad("an unknown transfer coding", 501, wire=raw_write("Transfer-Encoding: br, chunked")),
    Bad(
        "a lone surrogate in the reason of a PUT",
        422,
        method="PUT",
        path="/v1/entries/{entry}",
        raw=lambda c: (
            json.dumps(c.revision(reason="__R__")).replace('"__R__"', '"\\udc00"').encode()
        ),
        headers={**JSON, "If-Match": '"{entry}.r1"'},
        field="reason",
    ),
    Bad(
        "a lone surrogate in the reason of a DELETE",
        422,
        method="DELETE",
        path="/v1/entries/{entry}",
        raw=lambda _: b'{"reason": "\\udc00"}',
        headers=JSON,
        field="reason",
    ),
    Bad(
        "a NUL in the reason of a PUT",
        422,
        method="PUT",
        path="/v1/entries/{entry}",
        json=lambda c: c.revision(reason="a\x00b"),
        headers={"If-Match": '"{entry}.r1"'},
        field="reason",
    ),
    Bad(
        "a NUL in the reason of a DELETE",
        422,
        method="DELETE",
        path="/v1/entries/{entry}?reason=a%00b",
        field="reason",
    ),
    Bad(
        "a NUL in the reason of a term's PUT",
        422,
        method="PUT",
        path="/v1/terms/{term}",
        json=lambda c: c.term_revision(reason="a\x00b"),
        headers={"If-Match": '"{term}.r1"'},
        field="reason",
    ),
    Bad(
        "a lone surrogate in the reason of a term's PUT",
        422,
        method="PUT",
        path="/v1/terms/{term}",
        raw=lambda c: (
            json.dumps(c.term_revision(reason="__R__")).replace('"__R__"', '"\\udc00"').encode()
        ),
        headers={**JSON, "If-Match": '"{term}.r1"'},
        field="reason",
    ),
    Bad(
        "a NUL in the reason of a term's DELETE",
        422,
        method="DELETE",
        path="/v1/terms/{term}?reason=a%00b",
        token="admin",
        field="reason",
    ),
    Bad(
        "a lone surrogate in the reason of a term's DELETE",
        422,
        method="DELETE",
        path="/v1/terms/{term}",
        raw=lambda _: b'{"reason": "\\udc00"}',
        headers=JSON,
        token="admin",
        field="reason",
    ),
    Bad(
        "no token, text/plain",
        401,
        raw=lambda c: json.dumps(c.body()).encode(),
        headers={"Content-Type": "text/plain"},
        token=None,
    ),
    Bad("no token, invalid UTF-8", 401, raw=lambda _: b"\xff{", headers=JSON, token=None),
]


def test_the_catalogue_is_large_and_distinct() -> None:
    assert len(CATALOGUE) >= 30
    assert len({bad.name for bad in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("bad", CATALOGUE, ids=lambda bad: bad.name)
def test_bad_input_is_refused_and_writes_nothing(ledger: Ledger, bad: Bad) -> None:
    before = counts(ledger.url)
    answer = bad.send(ledger)
    after = counts(ledger.url)
    assert answer.status_code == bad.status, answer.text[:1000]
    assert answer.headers["Content-Type"] == "application/problem+json", answer.text[:300]
    problem = answer.json()
    assert problem["status"] == bad.status
    assert problem["type"].startswith("/problems/")
    assert problem["title"] and problem["detail"]
    if isinstance(answer, RawAnswer):  # gunicorn's own refusal: its title is the status'
        assert problem["title"] == HTTPStatus(bad.status).phrase
    # The type resolves to a page saying what it means, gunicorn's own refusals' too.
    explained = requests.get(ledger.server.base + problem["type"], timeout=REQUEST)
    assert explained.status_code == 200, problem["type"]
    if bad.status == 422:
        assert problem["errors"], problem
        if bad.field:
            assert any(name.startswith(bad.field) for name in problem["errors"]), problem
    assert after == before, "a refused request wrote"


# Reads with odd but harmless parameters: answered (200, or a 4xx problem), never a 5xx.
ODD_READS = [
    "/v1/entries?party=%00",
    "/v1/entries?source=%00",
    "/v1/entries?nationality=%ED%B0%80",
    "/v1/totals?party=%00&nationality=%00",
    "/v1/terms?source=src_%00",
    "/v1/export/entries.csv?party=%00",
    "/v1/export/sentences.csv?source=%00",
    "/v1/still-held?party=%00",
    "/v1/schedule?party=%00",
    "/v1/sources?page=1718419222608135168",
    "/v1/entries?page=1718419222608135168",
    "/v1/sources/{source}/sentences/99999999999999999999999",
    "/v1/entries/" + "e" * 4_000,
]


@pytest.mark.parametrize("path", ODD_READS)
def test_odd_reads_never_fail(ledger: Ledger, path: str) -> None:
    answer = requests.get(ledger.server.base + path.format(source=ledger.source), timeout=REQUEST)
    assert answer.status_code < 500, answer.text[:500]
    if answer.status_code >= 400:
        assert answer.headers["Content-Type"] == "application/problem+json"
