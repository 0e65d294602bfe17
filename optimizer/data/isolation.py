"""Reading a user's file in a child process with limits on time and memory.

A file can be small and still cost hours (a 14 KB CSV line of half a million
columns) or gigabytes. The reader has its own limits on bytes, rows, columns
and cells, but the last word belongs to the operating system: the import runs
in a forked child with ``RLIMIT_CPU`` and ``RLIMIT_AS`` set, and the parent
kills it when the wall-clock time is up. The child sends the checked
:class:`~optimizer.dataset.Dataset` back pickled, or the problems it found;
the parent raises :class:`~optimizer.problems.DataError` exactly as
:func:`optimizer.data.checks.load_dataset` does, so callers handle one error.

Both front ends read through this module (the app's uploads with
:func:`load_dataset_isolated`, the command line's ``--data`` with
:func:`start_loading`, which lets it import the solver while the child
reads, and hash the data while it solves), so the same limits apply to both.
"""

from __future__ import annotations

import math
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, TypeVarTuple, cast

from optimizer.data.dataset import Dataset
from optimizer.data.problems import DataError, Problem

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["DEFAULT_LIMITS", "Limits", "Loading", "load_dataset_isolated", "run_isolated", "start_loading"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Limits:
    """How much one import may take.

    Attributes
    ----------
    seconds:
        Wall-clock time from start to the dataset in hand; the child is killed after it.
    cpu_seconds:
        CPU time of the child (``RLIMIT_CPU``), against a reader spinning while the machine is idle.
    memory_bytes:
        Address space the child may add to what it inherits (``RLIMIT_AS``).
    """

    seconds: float = 180.0
    cpu_seconds: float = 90.0
    memory_bytes: int = 2 * 2**30


#: The limits of the command line and the app. A 100,000-project workbook takes about 15 s of CPU
#: (openpyxl) and well under 1 GiB; on a server shared by many, its wall time can be three times
#: that, hence the wide wall-clock limit. A CSV list of that size takes about 1 s. These stop only
#: what no list needs: a reader spinning (CPU) or stuck (wall clock), or memory running away.
DEFAULT_LIMITS = Limits()


def load_dataset_isolated(source: str | Path | bytes, name: str = "", limits: Limits | None = None,
                          filename: str | None = None) -> Dataset:
    """Read and check a project list in a child process with time and memory limits.

    Parameters
    ----------
    source:
        A path (folder of CSVs, .xlsx, .zip or flat .csv), or the bytes of an uploaded file.
    name:
        The dataset's name; default the path, as :func:`optimizer.data.checks.load_dataset` does.
    limits:
        Time and memory limits; default :data:`DEFAULT_LIMITS`.
    filename:
        For bytes: the uploaded file's name (its extension says how to read it). Required then.

    Returns
    -------
    Dataset
        As :func:`optimizer.data.checks.load_dataset` (or ``build_dataset(read_bytes(...))``) returns it;
        ``dataset.notes["rows_in_file"]`` holds the number of data rows read.

    Raises
    ------
    DataError
        With the problems found, or one ``too_slow`` / ``too_much_memory`` / ``reader_failed``
        problem naming the file when a limit stopped the reader.
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not filename:
            raise ValueError("filename is required with bytes")
        label = PurePosixPath(filename).name
        return run_isolated(_work_bytes, (filename, bytes(source), name or filename), limits, label)
    path = Path(source)
    return run_isolated(_work_path, (str(path), name or str(source)), limits, path.name or str(path))


class Loading:
    """A project list being read in a child process (see :func:`start_loading`)."""

    def __init__(self, child: _Child, hashed: bool) -> None:
        self._child, self._hashed = child, hashed

    def dataset(self) -> Dataset:
        """The dataset once read and checked (waits for it); raises DataError as :func:`load_dataset_isolated`."""
        return cast(Dataset, self._child.receive(last=not self._hashed))

    def data_hash(self) -> str:
        """The hash of the dataset (:func:`optimizer.data.canonical.data_hash`); after :meth:`dataset`, when hashed."""
        if not self._hashed:
            raise ValueError("started without hashed=True")
        return cast(str, self._child.receive(last=True))


def start_loading(path: str | Path, hashed: bool = False, limits: Limits | None = None) -> Loading:
    """Start reading and checking a project list in a child, under the limits of :func:`load_dataset_isolated`.

    The caller goes on meanwhile (the command line imports the solver, on
    the other core) and asks :meth:`Loading.dataset` when it needs the data.
    With ``hashed`` the child then hashes the dataset for the run record,
    while the caller solves: :meth:`Loading.data_hash`.
    """
    path = Path(path)
    child = _start(_work_path, (str(path), str(path)), limits or DEFAULT_LIMITS, path.name or str(path),
                   then=_hash_of if hashed else None)
    return Loading(child, hashed)


def _hash_of(dataset: Dataset) -> str:
    from optimizer.data.canonical import data_hash

    return data_hash(dataset)


def _work_path(path: str, name: str) -> Dataset:
    from optimizer.data.checks import build_dataset
    from optimizer.data.reading import read_path

    tables = read_path(path)
    dataset = build_dataset(tables, name=name)
    dataset.notes["rows_in_file"] = sum(len(t.frame) for t in tables)
    return dataset


def _work_bytes(filename: str, data: bytes, name: str) -> Dataset:
    from optimizer.data.checks import build_dataset
    from optimizer.data.reading import read_bytes

    tables = read_bytes(filename, data)
    dataset = build_dataset(tables, name=name)
    dataset.notes["rows_in_file"] = sum(len(t.frame) for t in tables)
    return dataset


def run_isolated(work: Callable[[*Ts], T], args: tuple[*Ts], limits: Limits, label: str) -> T:
    """``work(*args)`` in a child process under ``limits``; its result, or its DataError raised here.

    ``label`` names the file in the messages of a stopped reader.
    """
    return cast(T, _start(work, args, limits, label).receive(last=True))


def _too_slow(label: str, limits: Limits) -> DataError:
    return DataError([Problem("too_slow", label, details={"seconds": limits.seconds})])


def _too_much_memory(label: str, limits: Limits) -> DataError:
    return DataError([Problem("too_much_memory", label, details={"limit_mb": limits.memory_bytes / 2**20})])


def _outcome(work: Callable[[*Ts], object], args: tuple[*Ts]) -> tuple[str, object]:
    """What the child reports: ("ok", result), ("problems", [...]), ("memory", None) or ("error", text)."""
    try:
        return "ok", work(*args)
    except DataError as error:
        return "problems", error.problems
    except MemoryError:
        return "memory", None
    except Exception as error:  # noqa: BLE001 - reported to the parent, never a traceback to the user
        if "MemoryError" in type(error).__name__ or "bad_alloc" in str(error):
            return "memory", None  # pyarrow's ArrowMemoryError, C++ allocation failures
        return "error", f"{type(error).__name__}: {str(error)[:200]}"


def _apply_limits(limits: Limits) -> None:
    import resource

    cpu = max(1, math.ceil(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        with open("/proc/self/statm") as statm:
            inherited = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        inherited = 0
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = inherited + int(limits.memory_bytes)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _start(work: Callable[[*Ts], object], args: tuple[*Ts], limits: Limits, label: str,
           then: Callable[[Any], object] | None = None) -> _Child:
    """Start ``work(*args)`` in a child under ``limits``; with ``then``, the child goes on to ``then(result)``.

    Each outcome goes down the pipe as it is ready, so the parent can use
    the first while the child computes the second.
    """
    if hasattr(os, "fork"):
        return _ForkedChild(work, args, limits, label, then)
    return _SpawnedChild(work, args, limits, label, then)  # pragma: no cover - Windows


def _outcomes(work: Callable[[*Ts], object], args: tuple[*Ts],
              then: Callable[[Any], object] | None) -> Iterator[tuple[str, object]]:
    """What the child reports, in order: the outcome of ``work``, then (if it succeeded) of ``then``."""
    first = _outcome(work, args)
    yield first
    if then is not None and first[0] == "ok":
        yield _outcome(then, (first[1],))


def _pickled(outcome: tuple[str, object]) -> bytes:
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("memory", None))


class _Child(Protocol):
    def receive(self, last: bool) -> object:
        """The child's next outcome: its value, or its problems raised; ``last`` also reaps the child."""


#: Each outcome goes down a fork's pipe as its length (8 bytes, little-endian) and its pickle.
_LENGTH = struct.Struct("<Q")


class _ForkedChild:
    """A forked child: limits set, work done, outcomes down the pipe; the parent kills it at the wall-clock limit."""

    def __init__(self, work: Callable[[*Ts], object], args: tuple[*Ts], limits: Limits, label: str,
                 then: Callable[[Any], object] | None) -> None:
        self.limits, self.label = limits, label
        read_end, write_end = os.pipe()
        self.start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: limits, work, outcomes down the pipe, exit without cleanup of the parent's state
            code = 0
            try:
                os.close(read_end)
                import faulthandler

                faulthandler.disable()  # a crash is reported by the parent, not as a C traceback on stderr
                _apply_limits(limits)
                for outcome in _outcomes(work, args, then):
                    payload = _pickled(outcome)
                    view = memoryview(_LENGTH.pack(len(payload)) + payload)
                    while view:
                        view = view[os.write(write_end, view):]
            except BaseException:  # noqa: BLE001
                code = 3
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self.read_end = pid, read_end
        self.buffer = bytearray()
        self.ended = False  # the pipe is at its end (the child exited or was killed)
        self.timed_out = False
        self.status: int | None = None  # the child's exit status, once reaped

    def receive(self, last: bool) -> object:
        payload = self._frame()
        if payload is None or last:
            self._reap(payload is not None)
            return _result(b"" if payload is None else payload, self.label, self.limits, self.status)
        try:
            return _result(payload, self.label, self.limits, None)
        except DataError:
            self._reap(True)  # nothing follows a failure: the child has ended
            raise

    def _frame(self) -> bytes | None:
        """The next whole outcome from the pipe; None if the pipe ended (or time ran out) first."""
        while True:
            if len(self.buffer) >= _LENGTH.size:
                (length,) = _LENGTH.unpack_from(self.buffer)
                if len(self.buffer) >= _LENGTH.size + length:
                    payload = bytes(self.buffer[_LENGTH.size:_LENGTH.size + length])
                    del self.buffer[:_LENGTH.size + length]
                    return payload
            if self.ended or not self._read():
                return None

    def _read(self) -> bool:
        """Read what the pipe holds, waiting at most until the wall-clock limit; False at its end or the limit."""
        remaining = max(0.0, self.limits.seconds - (time.monotonic() - self.start))
        ready, _, _ = select.select([self.read_end], [], [], remaining)  # what is there is read even after the limit
        if not ready:
            self.timed_out = True
            return False
        chunk = os.read(self.read_end, 1 << 20)
        if not chunk:
            self.ended = True
        self.buffer += chunk
        return bool(chunk)

    def _reap(self, received: bool) -> None:
        """Close the pipe and wait for the child; raise if the limit, a kill or a crash stopped it."""
        os.close(self.read_end)
        if self.timed_out:
            _kill(self.pid)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # SIGCHLD ignored by the host process: the child reaped itself
            status = 0
        self.status = status
        if self.timed_out:
            raise _too_slow(self.label, self.limits)
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            if number in (signal.SIGXCPU, signal.SIGKILL):
                raise _too_slow(self.label, self.limits)
            if number in (signal.SIGSEGV, signal.SIGBUS) and not received and not self.buffer:
                raise _too_much_memory(self.label, self.limits)  # past RLIMIT_AS inside C code
            raise DataError([Problem("reader_failed", self.label, details={"reason": f"signal {number}"})])


def _result(payload: bytes, label: str, limits: Limits, status: int | None) -> object:
    """The child's result unpickled (its ``work``'s return value), or its problems raised."""
    try:
        kind, value = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - an empty or cut pipe: the child died before it could say why
        code = os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else status
        raise DataError([Problem("reader_failed", label, details={"reason": f"exit status {code}"})]) from None
    if kind == "ok":
        return value
    if kind == "problems":
        raise DataError(value)
    if kind == "memory":
        raise _too_much_memory(label, limits)
    raise DataError([Problem("reader_failed", label, details={"reason": value})])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _spawned_child(connection: Connection, work: Callable[[*Ts], object], args: tuple[*Ts],
                   then: Callable[[Any], object] | None) -> None:
    for outcome in _outcomes(work, args, then):
        connection.send_bytes(_pickled(outcome))
    connection.close()


class _SpawnedChild:
    """Where there is no fork: a spawned process with the wall-clock limit only."""

    def __init__(self, work: Callable[[*Ts], object], args: tuple[*Ts], limits: Limits, label: str,
                 then: Callable[[Any], object] | None) -> None:
        import multiprocessing

        self.limits, self.label = limits, label
        self.start = time.monotonic()
        context = multiprocessing.get_context("spawn")
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_spawned_child, args=(sender, work, args, then), daemon=True)
        self.process.start()
        sender.close()

    def receive(self, last: bool) -> object:
        try:
            if not self.receiver.poll(max(0.0, self.limits.seconds - (time.monotonic() - self.start))):
                self.process.kill()
                raise _too_slow(self.label, self.limits)
            try:
                payload = self.receiver.recv_bytes()
            except EOFError:
                payload = b""  # the child died before it could say why
            return _result(payload, self.label, self.limits, None)
        except DataError:
            last = True  # nothing follows a failure: the child has ended
            raise
        finally:
            if last:
                self.process.join(5)
                self.receiver.close()


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m optimizer.isolation PATH
    started = time.perf_counter()
    dataset = load_dataset_isolated(sys.argv[1])
    print(f"{len(dataset.projects)} projects in {time.perf_counter() - started:.2f} s")
