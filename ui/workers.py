"""Fair sharing of the server's cores: heavy solves run a few at a time, first come first served.

Every Streamlit session runs in one process. Twenty people solving at once on two cores all get
slower together (the model building holds the GIL, HiGHS wants a core), so the solves go through one
process-wide :class:`Pool` of ``max(1, cores - 1)`` slots (``RETROFIT_WORKERS`` overrides it); the
rest wait in line, and the page shows each waiting person's place ("排队中：第 2 位 / Queued: position 2").

* **No one is starved.** The line is first in, first out, and every job ends: each solve carries its
  time limit, capped while in the pool at :data:`MAX_SECONDS` (``RETROFIT_MAX_SOLVE_SECONDS``; a
  solve stopped by it reports its proven gap, as any time limit does). A sweep of many solves gives
  its slot up after each point (:meth:`Slot.yield_turn`) and queues again at the back, so a single
  solve never waits behind a whole frontier.
* **A closed tab frees its place.** While waiting, a job checks that its session is still connected;
  once the tab is gone it leaves the line. A job already running ends by its time limit at most.
* Cached results never queue: the slot is taken inside the cached functions of :mod:`ui.compute`, so
  only real work waits. The place in line is drawn by a small reporter thread attached to the
  session, so nothing of it is recorded into a cached function's replay.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

LOG = logging.getLogger("retrofit.workers")
SIZE_VARIABLE = "RETROFIT_WORKERS"
SECONDS_VARIABLE = "RETROFIT_MAX_SOLVE_SECONDS"
#: The longest a solve may hold a slot (seconds), whatever time limit its question asks for.
MAX_SECONDS = float(os.environ.get(SECONDS_VARIABLE) or 300.0)
#: How often a waiting job looks at its place and its session (seconds).
POLL = 0.2
#: A job that waits longer than this (seconds) shows its place in line.
SHOW_AFTER = 0.3


def queued_text(position: int) -> str:
    """What a waiting person sees, in both languages (drawn from a thread that has no language of its own)."""
    from .i18n import TEXT

    return " / ".join(TEXT["queued"][lang].format(position=position) for lang in ("zh", "en"))


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_size() -> int:
    """``RETROFIT_WORKERS`` if set, else one slot per core but one (kept for the pages and the server)."""
    try:
        return max(1, int(os.environ[SIZE_VARIABLE]))
    except (KeyError, ValueError):
        return max(1, cores() - 1)


class Abandoned(Exception):
    """The session that asked for this job has gone (its tab was closed) while it waited in line."""


@dataclass(eq=False)
class _Ticket:
    number: int
    started: bool = False
    position: int = 0


@dataclass
class Slot:
    """A held place in the pool; a long job calls :meth:`yield_turn` between its steps."""

    pool: Pool
    ticket: _Ticket
    alive: Callable[[], bool]
    show: Callable[[int], None] | None
    started: Callable[[], None] | None = None
    turns: int = field(default=1)

    def yield_turn(self) -> None:
        """Give the slot to whoever waits first, and wait for another turn at the back of the line."""
        if not self.pool.has_waiting():
            return
        self.pool._release(self.ticket)
        self.ticket = self.pool._wait(self.alive, self.show)
        self.turns += 1
        if self.started is not None:
            self.started()


class Pool:
    """A first-in, first-out line in front of ``size`` slots, shared by every session of the process."""

    def __init__(self, size: int):
        self.size = max(1, int(size))
        self._cond = threading.Condition()
        self._waiting: deque[_Ticket] = deque()
        self._running = 0
        self._numbers = itertools.count(1)
        self.peak_waiting = 0
        self.served = 0
        self.shown: deque[tuple[int, int]] = deque(maxlen=1000)  # (ticket, place) as shown, for tests and logs

    # --- what a page asks ------------------------------------------------------------------

    @contextmanager
    def slot(self, alive: Callable[[], bool] | None = None, show: Callable[[int], None] | None = None,
             started: Callable[[], None] | None = None) -> Iterator[Slot]:
        """Wait for a slot (calling ``show(position)`` when the place in line changes), hold it for the block.

        ``alive()`` is asked while waiting; once it says False the job leaves the line and
        :class:`Abandoned` is raised. ``started()`` is called each time the job gets its slot.
        """
        alive = alive or (lambda: True)
        ticket = self._wait(alive, show)
        held = Slot(self, ticket, alive, show, started)
        if started is not None:
            started()
        try:
            yield held
        finally:
            self._release(held.ticket)

    def state(self) -> tuple[int, int]:
        """(running, waiting) now."""
        with self._cond:
            return self._running, len(self._waiting)

    def has_waiting(self) -> bool:
        with self._cond:
            return bool(self._waiting)

    # --- the line --------------------------------------------------------------------------

    def _wait(self, alive: Callable[[], bool], show: Callable[[int], None] | None) -> _Ticket:
        ticket = _Ticket(next(self._numbers))
        shown = 0
        began = time.monotonic()
        with self._cond:
            self._waiting.append(ticket)
            self.peak_waiting = max(self.peak_waiting, len(self._waiting))
            try:
                while True:
                    if self._running < self.size and self._waiting[0] is ticket:
                        self._waiting.popleft()
                        self._running += 1
                        self.served += 1
                        ticket.started = True
                        self._cond.notify_all()  # the next in line may start too, if a slot is free
                        break
                    position = self._waiting.index(ticket) + 1
                    if show is not None and position != shown and time.monotonic() - began >= SHOW_AFTER:
                        shown = position
                        self.shown.append((ticket.number, position))
                        self._cond.release()
                        try:
                            show(position)
                        finally:
                            self._cond.acquire()
                        continue
                    self._cond.release()
                    try:
                        still = alive()
                    finally:
                        self._cond.acquire()
                    if not still:
                        raise Abandoned(f"ticket {ticket.number} left the line")
                    self._cond.wait(POLL)
            except BaseException:
                if not ticket.started:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                raise
        return ticket

    def _release(self, ticket: _Ticket) -> None:
        with self._cond:
            if ticket.started:
                ticket.started = False
                self._running -= 1
                self._cond.notify_all()


_POOL: Pool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> Pool:
    """The process's pool (made on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = Pool(default_size())
            LOG.info("worker pool of %d slot(s) on %d core(s)", _POOL.size, cores())
        return _POOL


# --- inside a Streamlit session -------------------------------------------------------------------


class _Reporter:
    """Draws the place in line from a thread attached to the waiting session (not the cached function's)."""

    def __init__(self, ctx: Any):
        self._ctx = ctx
        self._position = 0
        self._drawn = 0
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._placeholder: Any = None
        self._thread = threading.Thread(target=self._run, name="retrofit-queue", daemon=True)
        from streamlit.runtime.scriptrunner import add_script_run_ctx

        add_script_run_ctx(self._thread, ctx)
        self._thread.start()

    def show(self, position: int) -> None:
        self._position = position
        self._changed.set()

    def _run(self) -> None:
        import streamlit as st

        while not self._stop.is_set():
            self._changed.wait(POLL)
            self._changed.clear()
            if self._position != self._drawn and not self._stop.is_set():
                try:
                    if self._placeholder is None:
                        self._placeholder = st.empty()
                    self._placeholder.info(queued_text(self._position), icon="⏳")
                    self._drawn = self._position
                except Exception:  # the page moved on: nothing to draw into
                    LOG.debug("queue position not drawn", exc_info=True)
        if self._placeholder is not None:
            try:
                self._placeholder.empty()
            except Exception:
                LOG.debug("queue position not cleared", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._changed.set()
        self._thread.join(2)


def _session_alive(ctx: Any) -> Callable[[], bool]:
    def alive() -> bool:
        try:
            from streamlit.runtime import Runtime

            return not Runtime.exists() or Runtime.instance().is_active_session(ctx.session_id)
        except Exception:  # a test harness without a session manager: treat as connected
            return True

    return alive


_HELD = threading.local()


@contextmanager
def turn() -> Iterator[Slot]:
    """A slot of the process's pool for the session running this script (its place in line shown while
    it waits, its place given up if its tab closes). Outside Streamlit, just a slot.

    Re-entrant: a job that already holds a slot (a meeting pack that solves) keeps using it.
    """
    held_already: Slot | None = getattr(_HELD, "slot", None)
    if held_already is not None:
        yield held_already
        return
    ctx = None
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:
        ctx = None
    reporter: _Reporter | None = None

    def show(position: int) -> None:
        nonlocal reporter
        if ctx is None:
            return
        if reporter is None:
            reporter = _Reporter(ctx)
        reporter.show(position)

    def started() -> None:
        nonlocal reporter
        if reporter is not None:
            reporter.close()
            reporter = None

    try:
        with pool().slot(alive=_session_alive(ctx) if ctx is not None else None, show=show,
                         started=started) as held:
            _HELD.slot = held
            try:
                yield held
            finally:
                _HELD.slot = None
    finally:
        started()


def capped(seconds: float | None) -> float:
    """A time limit no longer than :data:`MAX_SECONDS` (a job's longest hold on a slot)."""
    return MAX_SECONDS if seconds is None else min(float(seconds), MAX_SECONDS)
