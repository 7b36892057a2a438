"""Evidence: a quote resolved to its sentence and absolute offsets (W3C quote + position)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ledger.errors import Problems
from ledger.records import Evidence, Source

MAX_QUOTE_LENGTH = 2_000
MAX_EVIDENCE = 50


def resolve_all(
    items: object, find_source: Callable[[str], Source | None], problems: Problems
) -> tuple[Evidence, ...]:
    """Resolve every evidence item, reporting each problem under `evidence[i].field`."""
    if not isinstance(items, list) or not items:
        problems.add("evidence", "needs at least one item: {source, sentence?, quote}.")
        return ()
    if len(items) > MAX_EVIDENCE:
        problems.add("evidence", f"may hold at most {MAX_EVIDENCE} items.")
        return ()
    resolved = []
    for i, item in enumerate(items):
        evidence = resolve(item, find_source, problems, f"evidence[{i}]")
        if evidence is not None:
            resolved.append(evidence)
    seen: set[tuple[str, int, int]] = set()
    for i, evidence in enumerate(resolved):
        spot = (evidence.source, evidence.start, evidence.end)
        if spot in seen:
            problems.add(f"evidence[{i}]", "repeats an earlier quote; cite each quote once.")
        seen.add(spot)
    return tuple(resolved)


def resolve(
    item: object, find_source: Callable[[str], Source | None], problems: Problems, at: str
) -> Evidence | None:
    """Find the quote in its sentence (or, without one, once in the whole source)."""
    if not isinstance(item, Mapping):
        problems.add(at, "must be an object {source, sentence?, quote}.")
        return None
    unknown = sorted(set(item) - {"source", "sentence", "quote"})
    for name in unknown:
        problems.add(f"{at}.{name}", "is not a field of evidence (source, sentence, quote).")
    source_id, number, quote = item.get("source"), item.get("sentence"), item.get("quote")
    before = len(problems.errors)
    if not isinstance(source_id, str) or not source_id:
        problems.add(f"{at}.source", "must be the id of a stored source.")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        problems.add(f"{at}.sentence", "must be a sentence number (0, 1, ...) or left out.")
    if not isinstance(quote, str) or not quote.strip():
        problems.add(f"{at}.quote", "must be the exact words of the report.")
    elif len(quote) > MAX_QUOTE_LENGTH:
        problems.add(f"{at}.quote", f"is longer than {MAX_QUOTE_LENGTH} characters.")
    if len(problems.errors) > before or unknown:
        return None
    source = find_source(source_id)
    if source is None:
        problems.add(f"{at}.source", f"no source has the id {source_id!r}; POST it first.")
        return None
    if number is None:
        return _resolve_in_source(source, quote, problems, at)
    return _resolve_in_sentence(source, number, quote, problems, at)


def _resolve_in_sentence(
    source: Source, number: int, quote: str, problems: Problems, at: str
) -> Evidence | None:
    if not 0 <= number < len(source.sentences):
        problems.add(
            f"{at}.sentence",
            f"source {source.id} has sentences 0..{len(source.sentences) - 1}, not {number}.",
        )
        return None
    sentence = source.sentences[number]
    found = _occurrences(sentence.text, quote)
    if not found:
        problems.add(f"{at}.quote", _not_found(quote, sentence.text, f"sentence {number}"))
        return None
    if len(found) > 1:
        problems.add(
            f"{at}.quote",
            f"occurs {len(found)} times in sentence {number}; quote more words to make it unique.",
        )
        return None
    start = sentence.start + found[0]
    return _evidence(source, number, quote, start)


def _resolve_in_source(source: Source, quote: str, problems: Problems, at: str) -> Evidence | None:
    found = _occurrences(source.text, quote)
    if not found:
        problems.add(f"{at}.quote", _not_found(quote, source.text, f"source {source.id}"))
        return None
    if len(found) > 1:
        problems.add(
            f"{at}.quote",
            f"occurs {len(found)} times in source {source.id}; give the sentence number "
            "or quote more words.",
        )
        return None
    start, end = found[0], found[0] + len(quote)
    for sentence in source.sentences:
        if sentence.start <= start and end <= sentence.end:
            return _evidence(source, sentence.n, quote, start)
    problems.add(f"{at}.quote", "runs across two sentences; quote words from one sentence.")
    return None


def _evidence(source: Source, number: int, quote: str, start: int) -> Evidence:
    sentence = source.sentences[number]
    return Evidence(
        source=source.id,
        sentence=number,
        quote=quote,
        start=start,
        end=start + len(quote),
        sentence_text=sentence.text,
        published_on=source.published_on,
    )


def _occurrences(text: str, quote: str) -> list[int]:
    found, position = [], text.find(quote)
    while position != -1:
        found.append(position)
        position = text.find(quote, position + 1)
    return found


def _not_found(quote: str, text: str, where: str) -> str:
    message = f"is not in {where}; a quote must be the report's exact words."
    loose = re.compile(r"\s+".join(re.escape(word) for word in quote.split()), re.IGNORECASE)
    near = loose.search(text)
    if near:
        message += f" The nearest words there are {near.group(0)!r}."
    return message
