"""`exchange-ledger ingest`: an archive of report files loaded as a user loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.generate import reports
from ledger.ingest import CHUNK
from ledger.service import Ledger
from ledger.sources import segment, sha256_of, source_id
from ledger.storage.database import Database

ROOT = Path(__file__).resolve().parents[2]
COMMAND = Path(sys.executable).with_name("exchange-ledger")
UNDATED = "Hamas released 13 hostages on Friday. Israel freed 39 detainees.\n"


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    return subprocess.run(
        [str(COMMAND), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )


def archive(folder: Path, count: int) -> list[Path]:
    """Generated reports in a folder tree, with a file that is no report beside them."""
    paths = []
    for i, text in enumerate(reports(count, seed=17)):
        path = folder / f"{2020 + i % 3}" / f"report-{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    (folder / "README.md").write_text("not a report", encoding="utf-8")
    return sorted(paths)


def stored(url: str) -> dict[str, object]:
    database = Database(url)
    try:
        ledger = Ledger(database)
        return {source.id: source for source in ledger.sources()[1]}
    finally:
        database.dispose()


def test_an_archive_is_ingested_once_and_verifies(empty_url, tmp_path):
    paths = archive(tmp_path / "archive", 2 * CHUNK + 1)
    undated = tmp_path / "undated.txt"
    undated.write_text(UNDATED, encoding="utf-8")
    done = run(empty_url, "ingest", str(tmp_path / "archive"), str(undated), "--published-on",
               "2023-11-30", "--batch", "20", "--processes", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    sentences = sum(len(segment(p.read_text(encoding="utf-8"))) for p in paths)
    sentences += len(segment(UNDATED))
    assert done.stdout.strip() == (
        f"ingested {len(paths) + 1} of {len(paths) + 1} reports: {len(paths) + 1} new sources "
        f"({sentences} sentences), 0 stored already or repeated"
    )
    sources = stored(empty_url)
    assert len(sources) == len(paths) + 1
    for path in [*paths, undated]:
        source = sources[source_id(sha256_of(path.read_text(encoding="utf-8")))]
        assert source.text.encode("utf-8") == path.read_bytes()
        assert source.sentences == segment(source.text)
    assert str(sources[source_id(sha256_of(UNDATED))].published_on) == "2023-11-30"
    verified = run(empty_url, "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"verify: ok ({len(paths) + 1} sources, {sentences} sentences" in verified.stdout
    # Again, without --published-on: the undated report is found stored, as POST finds it.
    again = run(empty_url, "ingest", str(tmp_path / "archive"), str(paths[0]), str(undated))
    assert again.returncode == 0, again.stderr
    assert f"0 new sources (0 sentences), {len(paths) + 1} stored already" in again.stdout
    assert run(empty_url, "verify").returncode == 0


def test_bad_files_are_named_with_their_field_and_nothing_is_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    folder = tmp_path / "archive"
    archive(folder, 5)
    (folder / "latin1.txt").write_bytes("date 2023-11-28\nM\xfcnchen.\n".encode("latin-1"))
    (folder / "undated.txt").write_text(UNDATED, encoding="utf-8")
    (folder / "empty.txt").write_text(" \n", encoding="utf-8")
    done = run(url, "ingest", str(folder))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {folder / 'empty.txt'}: text: is empty; send the report's text.",
        f"error: {folder / 'latin1.txt'}: text: is not UTF-8 (byte 0xfc at offset 17); "
        "save the report as UTF-8.",
        f"error: {folder / 'undated.txt'}: published_on: is required unless the text starts "
        "with a 'date YYYY-MM-DD' line.",
        "error: 3 of 8 reports refused; nothing was written. Fix them, or store the rest with "
        "--keep-going.",
    ]
    assert stored(url) == {}
    kept = run(url, "ingest", str(folder), "--keep-going")
    assert kept.returncode == 1
    assert "ingested 5 of 8 reports: 5 new sources" in kept.stdout
    assert kept.stdout.strip().endswith("; 3 refused")
    assert f"refused: {folder / 'undated.txt'}: published_on:" in kept.stderr
    assert len(stored(url)) == 5
    assert run(url, "verify").returncode == 0


def test_a_folder_without_reports_and_a_bad_date_are_explained(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    (tmp_path / "empty").mkdir()
    done = run(url, "ingest", str(tmp_path / "empty"))
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f"error: {tmp_path / 'empty'}: holds no .txt reports.",
    )
    report = tmp_path / "undated.txt"
    report.write_text(UNDATED, encoding="utf-8")
    done = run(url, "ingest", str(report), "--published-on", "30/11/2023")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "error: published_on: must be a date written YYYY-MM-DD, not '30/11/2023'.",
    )
    missing = run(url, "ingest", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
