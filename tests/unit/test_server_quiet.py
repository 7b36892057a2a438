"""A worker's warm-up waits for quiet across the whole server: while another worker answers a
question (holding the server's busy file), it does not start working out the ledger beside it.
Two `_Quiet`s over one busy file stand for two workers (flock locks of different open files
conflict, in one process as in two)."""

from __future__ import annotations

import threading

from exchange_ledger.server import _Quiet


def _waiting(quiet: _Quiet) -> threading.Thread:
    waiter = threading.Thread(target=quiet.wait, daemon=True)
    waiter.start()
    return waiter


def test_a_worker_waits_while_another_answers(tmp_path):
    busy = str(tmp_path / "busy")
    answering, warming = _Quiet(busy, quiet_s=0.05), _Quiet(busy, quiet_s=0.05)
    answering.begin()
    answering.begin()  # two requests in flight in one worker hold one shared lock
    waiter = _waiting(warming)
    waiter.join(1.5)
    assert waiter.is_alive()
    answering.end()
    waiter.join(1.5)
    assert waiter.is_alive()  # one request still in flight
    answering.end()
    waiter.join(10)
    assert not waiter.is_alive()


def test_a_worker_with_a_request_in_flight_is_not_quiet(tmp_path):
    quiet = _Quiet(str(tmp_path / "busy"), quiet_s=0.05)
    quiet.begin()
    waiter = _waiting(quiet)
    waiter.join(1.5)
    assert waiter.is_alive()
    quiet.end()
    waiter.join(10)
    assert not waiter.is_alive()


def test_workers_answering_side_by_side_do_not_wait_for_each_other(tmp_path):
    busy = str(tmp_path / "busy")
    first, second = _Quiet(busy), _Quiet(busy)
    done = threading.Event()

    def both() -> None:
        first.begin()
        second.begin()  # a shared lock beside a shared lock: no wait
        second.end()
        first.end()
        done.set()

    threading.Thread(target=both, daemon=True).start()
    assert done.wait(10)


def test_without_a_busy_file_only_the_worker_itself_counts():
    quiet = _Quiet(quiet_s=0.05)
    waiter = _waiting(quiet)
    waiter.join(10)
    assert not waiter.is_alive()
