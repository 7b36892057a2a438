"""Writes take turns within a worker process: one write request at a time in each worker.

The journal admits one writer at a time across every process (`Database.writing`), and a
writer holds that lock from its BEGIN to its commit. Within a worker, threads never run Python
at once (the GIL), so a writer that holds the lock but waits for the GIL while the worker's
other threads parse and check their writes keeps every other writer waiting too. Taking turns
shortens the time each write holds the lock; it costs a worker only the overlap of its writes'
waits, and reads never wait for a turn. docs/benchmarks.md has the figures ("The write turns,
and the driver's rows"), and the P4 runs that show the turns are still needed ("one write
path").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, request

from api.security import WRITE_METHODS

# A write that comes while this many wait already for the worker's turn is crowded.
CROWD = 2


class _Turn:
    """A worker's write turn, and how many writes are waiting for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counting = threading.Lock()
        self.waiting = 0

    def take(self) -> None:
        if self._lock.acquire(blocking=False):
            return
        with self._counting:
            self.waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._counting:
                self.waiting -= 1

    def give_back(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


_turn = _Turn()


def install(app: Flask) -> None:
    """Register the turn, before the hook that authenticates a write and reads its body.

    Authenticating inside the turn matters: with the token checks of waiting writes running
    beside the writer, most of the gain vanished (docs/benchmarks.md, the same section).
    A write without a known token is refused (401) before its body is read, so only a token's
    holder sending a body slowly can hold a worker's turn; behind a proxy that buffers request
    bodies (nginx does by default), no one can.
    """
    app.before_request(_take_turn)
    app.teardown_request(_end_turn)


def crowded(method: str) -> bool:
    """Whether a request of this method would now wait behind CROWD writes that wait already."""
    return method in WRITE_METHODS and _turn.waiting >= CROWD


def _take_turn() -> None:
    if request.method in WRITE_METHODS and request.routing_exception is None:
        _turn.take()
        g.write_turn = True


def _end_turn(_error: BaseException | None) -> None:
    # Teardown runs however the request ended: an error never leaves the turn taken.
    if g.pop("write_turn", False):
        _turn.give_back()


@contextmanager
def set_aside() -> Iterator[None]:
    """Let the worker's other writes have the turn while this write does slow work that
    needs no turn (cutting a long report into sentences); take it back after."""
    if not g.get("write_turn"):
        yield
        return
    g.write_turn = False
    _turn.give_back()
    try:
        yield
    finally:
        _turn.take()
        g.write_turn = True
