"""Many reports at once: checking each as POST /v1/sources does, and segmenting them over a
pool of processes with the very results of segment()."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import reports
from ledger.errors import InvalidInput
from ledger.ingest import CHUNK, SegmenterPool, check_report
from ledger.sources import MAX_SOURCE_BYTES, segment, sha256_of

ROOT = Path(__file__).resolve().parents[2]

# Texts that exercise every branch of segment(): the date line (with and without the first
# sentence on it, a BOM, a date that is no date), headings, link lines, every line break,
# code points outside the BMP, blanks pysbd leaves out of its spans, and no sentence end.
TRICKY = [
    "date 2023-11-28\nHeading\n\nHamas released 13 hostages. Israel freed 39 detainees.\n",
    "date 2023-11-28 US and Israeli chiefs met in Doha. Talks went on.",
    "\ufeffdate 2023-11-28\r\nA line.\r\nRelated: more news\r\nRead more here",
    "date 2023-02-30 is no date. So this is a sentence.",
    "Mr. Haddad said 13 were freed.\u2028Dr. Levi agreed.\u2029U.S. officials (aged 18 to 40).",
    'שלום 🙂 \U0001d518\U0001d52b released 13... Then 39 more… "We counted," one said.',
    "   \n\n  Leading blanks.   Trailing blanks.   \n\n",
    "No full stop at all",
    "See also https://example.org/a.b.c and e.g. this. Nov. 9 came.\r\rTwo CRs.",
]


def corpus(seed_text: dict[str, str]) -> list[str]:
    return [*seed_text.values(), *TRICKY, *reports(3 * CHUNK + 5, seed=5)]


def children() -> set[int]:
    """This process's live children (Linux), but multiprocessing's resource tracker: one per
    program, started with the first pool, it lives until the program exits."""
    return children_of(os.getpid())


def children_of(pid: int) -> set[int]:
    return {
        child
        for child, (parent, state, command) in processes().items()
        if parent == pid and state != "Z" and b"resource_tracker" not in command
    }


def alive(pids: set[int]) -> set[int]:
    found = processes()
    return {pid for pid in pids if pid in found and found[pid][1] != "Z"}


def processes() -> dict[int, tuple[int, str, bytes]]:
    """Every process: its parent, state and command line, from /proc."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        parent, state = int(fields["PPid"]), fields["State"].split()[0]
        found[int(status.parent.name)] = (parent, state, command)
    return found


@pytest.mark.parametrize("processes", [1, 2])
def test_the_pool_finds_exactly_what_segment_finds_in_order(seed_text, processes):
    texts = corpus(seed_text)
    with SegmenterPool(processes, ahead=CHUNK) as pool:
        found = list(pool.segment(iter(texts)))
    assert [text for text, _ in found] == texts
    for text, sentences in found:
        assert sentences == segment(text)  # spans, kinds, numbers and texts alike


def test_one_process_starts_no_other():
    before = children()
    with SegmenterPool(1) as pool:
        found = list(pool.segment(reports(CHUNK + 1)))
        assert children() == before
    assert len(found) == CHUNK + 1


def test_the_pool_is_bounded_and_leaves_no_process_behind():
    before = children()
    with SegmenterPool(2) as pool:
        found = pool.segment(reports(4 * CHUNK))
        next(found)
        workers = children() - before
        assert 0 < len(workers) <= 2
    assert children() == before
    assert multiprocessing.active_children() == []


def test_leaving_the_pool_midway_cancels_its_work_and_stops_its_processes():
    before = children()
    with pytest.raises(RuntimeError), SegmenterPool(2, ahead=4 * CHUNK) as pool:
        for n, _ in enumerate(pool.segment(reports(20 * CHUNK))):
            if n == 3:
                raise RuntimeError("the caller failed while storing")
    assert children() == before


KILLED_PARENT = """
import sys
from bench.generate import reports
from ledger.ingest import SegmenterPool
with SegmenterPool(2) as pool:
    found = pool.segment(reports(4000))
    next(found)
    print("segmenting", flush=True)
    sys.stdin.read()
"""


def test_workers_exit_when_their_parent_is_killed_outright():
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert parent.stdout.readline().strip() == "segmenting"
        workers = children_of(parent.pid)
        assert len(workers) == 2
    finally:
        parent.kill()  # SIGKILL: no cleanup of its own runs
        parent.wait()
    deadline = time.monotonic() + 60
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = alive(workers)
    for pid in left:  # strays of a failed test are not left running
        os.kill(pid, signal.SIGKILL)
    assert left == set()


def test_a_report_is_checked_as_a_posted_source_is(tmp_path):
    dated = "date 2023-11-28\nHamas released 13 hostages."
    report = check_report(dated, "item 0")
    assert report.meta["published_on"] == dt.date(2023, 11, 28)
    assert (report.label, report.sha256, report.text) == ("item 0", sha256_of(dated), dated)
    meta = {"published_on": "2023-11-29", "title": "T", "publisher": "P", "url": "https://a.b/c"}
    undated = check_report(("Hamas released 13 hostages.", meta), "item 1")
    assert undated.meta == {**meta, "published_on": dt.date(2023, 11, 29)}
    # Problems of the metadata are kept, every one: they matter only for a text not stored yet.
    wrong = check_report((dated, {"published_on": "2023-11-29", "url": "ftp://x", "pages": 3}), "x")
    assert set(wrong.problems) == {"published_on", "url", "pages"}
    assert (wrong.sha256, wrong.meta) == (sha256_of(dated), {})
    assert set(check_report("Hamas released 13 hostages.", "item 2").problems) == {"published_on"}
    assert set(check_report(("Freed.", ["2023-11-28"]), "item 3").problems) == {
        "metadata",
        "published_on",
    }
    # A text that cannot be a source is refused outright, with the rest of what is wrong.
    for text in ["", "a\x00b", "\ud800", 3]:
        with pytest.raises(InvalidInput) as refused:
            check_report((text, {"published_on": "2023-11-28", "pages": 3}), "bad")
        assert set(refused.value.errors) == {"text", "pages"}
    with pytest.raises(InvalidInput) as refused:
        check_report(("x" * (MAX_SOURCE_BYTES + 1), {"published_on": "2023-11-28"}), "big")
    assert "10 MB" in refused.value.errors["text"][0]


def test_a_default_date_serves_only_reports_that_declare_none():
    undated = check_report("Hamas released 13 hostages.", "a", dt.date(2023, 11, 30))
    assert undated.meta["published_on"] == dt.date(2023, 11, 30)
    dated = check_report("date 2023-11-28\nHamas released 13.", "b", dt.date(2023, 11, 30))
    assert dated.meta["published_on"] == dt.date(2023, 11, 28)
    given = check_report(("Freed.", {"published_on": "2023-11-01"}), "c", dt.date(2023, 11, 30))
    assert given.meta["published_on"] == dt.date(2023, 11, 1)


def test_a_file_is_read_again_when_stored_and_must_be_unchanged(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes("date 2023-11-28\nReleased: 13 — ünïcödé.\r\n".encode())
    report = check_report(path, str(path))
    assert report.text is None  # an archive need not fit in memory
    assert report.read() == "date 2023-11-28\nReleased: 13 — ünïcödé.\r\n"
    path.write_text("date 2023-11-28\nChanged.\n", encoding="utf-8")
    with pytest.raises(Exception, match="changed while it was being ingested"):
        report.read()


def test_a_file_that_is_not_utf8_is_refused_naming_the_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("date 2023-11-28\nM\xfcnchen.\n".encode("latin-1"))
    with pytest.raises(InvalidInput) as refused:
        check_report(path, str(path))
    assert refused.value.errors["text"] == [
        "is not UTF-8 (byte 0xfc at offset 17); save the report as UTF-8."
    ]
