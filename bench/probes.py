"""In-process measurements, each run as its own process so that a cold start is cold:

python -m bench.probes ingest N DIR -> pysbd over N generated reports, then Ledger.add_sources
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def ingest(count: int, folder: str) -> dict[str, float]:
    """pysbd alone over the texts, then the product's bulk path (`exchange-ledger ingest`)."""
    import pysbd

    from bench.generate import reports
    from ledger.ingest import BATCH
    from ledger.service import Ledger
    from ledger.sources import available_cores
    from ledger.storage.database import Database

    texts = reports(count, seed=23)
    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    started = time.perf_counter()
    sentences = sum(len(segmenter.segment(text)) for text in texts)
    pysbd_s = time.perf_counter() - started
    path = Path(folder) / "ingest.sqlite3"
    for stale in Path(folder).glob("ingest.sqlite3*"):
        stale.unlink()
    database = Database(f"sqlite:///{path}")
    database.migrate()
    ledger = Ledger(database)
    started = time.perf_counter()
    done = ledger.add_sources(texts)
    ingest_s = time.perf_counter() - started
    assert done.added == count, done
    return {
        "reports": count,
        "pysbd_s": pysbd_s,
        "pysbd_sentences": sentences,
        "ingest_s": ingest_s,
        "ingest_sentences": done.sentences,
        "processes": done.processes,
        "cores": available_cores(),
        "batch": BATCH,
    }


if __name__ == "__main__":
    what, count, folder = sys.argv[1:]
    if what != "ingest":
        raise SystemExit(f"unknown probe {what!r}: the one probe is ingest")
    print(json.dumps(ingest(int(count), folder)))
