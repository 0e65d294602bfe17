"""Reading a user's file in a child process with limits on time and memory.

A file can be small and still cost hours (a 14 KB CSV line of half a million
columns) or gigabytes. The reader has its own limits on bytes, rows, columns
and cells, but the last word belongs to the operating system: the import runs
in a forked child with ``RLIMIT_CPU`` and ``RLIMIT_AS`` set, and the parent
kills it when the wall-clock time is up. The child sends the checked
:class:`~optimizer.dataset.Dataset` back pickled, or the problems it found;
the parent raises :class:`~optimizer.problems.DataError` exactly as
:func:`optimizer.checks.load_dataset` does, so callers handle one error.

Both front ends use :func:`load_dataset_isolated` (the command line for
``--data``, the app for uploads), so the same limits apply to both.
"""

from __future__ import annotations

import math
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar, TypeVarTuple, cast

from .dataset import Dataset
from .problems import DataError, Problem

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["DEFAULT_LIMITS", "Limits", "load_dataset_isolated", "run_isolated"]

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
        The dataset's name; default the path, as :func:`optimizer.checks.load_dataset` does.
    limits:
        Time and memory limits; default :data:`DEFAULT_LIMITS`.
    filename:
        For bytes: the uploaded file's name (its extension says how to read it). Required then.

    Returns
    -------
    Dataset
        As :func:`optimizer.checks.load_dataset` (or ``build_dataset(read_bytes(...))``) returns it;
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


def _work_path(path: str, name: str) -> Dataset:
    from .checks import build_dataset
    from .reading import read_path

    tables = read_path(path)
    dataset = build_dataset(tables, name=name)
    dataset.notes["rows_in_file"] = sum(len(t.frame) for t in tables)
    return dataset


def _work_bytes(filename: str, data: bytes, name: str) -> Dataset:
    from .checks import build_dataset
    from .reading import read_bytes

    tables = read_bytes(filename, data)
    dataset = build_dataset(tables, name=name)
    dataset.notes["rows_in_file"] = sum(len(t.frame) for t in tables)
    return dataset


def run_isolated(work: Callable[[*Ts], T], args: tuple[*Ts], limits: Limits, label: str) -> T:
    """``work(*args)`` in a child process under ``limits``; its result, or its DataError raised here.

    ``label`` names the file in the messages of a stopped reader.
    """
    if hasattr(os, "fork"):
        return _run_forked(work, args, limits, label)
    return _run_spawned(work, args, limits, label)  # pragma: no cover - Windows


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


def _run_forked(work: Callable[[*Ts], T], args: tuple[*Ts], limits: Limits, label: str) -> T:
    read_end, write_end = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: limits, work, result down the pipe, exit without cleanup of the parent's state
        code = 0
        try:
            os.close(read_end)
            import faulthandler

            faulthandler.disable()  # a crash is reported by the parent, not as a C traceback on stderr
            _apply_limits(limits)
            outcome = _outcome(work, args)
            try:
                payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                payload = pickle.dumps(("memory", None))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            remaining = limits.seconds - (time.monotonic() - start)
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], remaining)
            if not ready:
                timed_out = True
                break
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if timed_out:
            _kill(pid)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # SIGCHLD ignored by the host process: the child reaped itself
            status = 0
    if timed_out:
        raise _too_slow(label, limits)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number in (signal.SIGXCPU, signal.SIGKILL):
            raise _too_slow(label, limits)
        if number in (signal.SIGSEGV, signal.SIGBUS) and not chunks:  # past RLIMIT_AS inside C code
            raise _too_much_memory(label, limits)
        raise DataError([Problem("reader_failed", label, details={"reason": f"signal {number}"})])
    return cast(T, _result(b"".join(chunks), label, limits, status))  # what work(*args) returned, unpickled


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


def _spawned_child(connection: Connection, work: Callable[[*Ts], object],
                   args: tuple[*Ts]) -> None:  # pragma: no cover - Windows
    connection.send_bytes(pickle.dumps(_outcome(work, args), protocol=pickle.HIGHEST_PROTOCOL))
    connection.close()


def _run_spawned(work: Callable[[*Ts], T], args: tuple[*Ts], limits: Limits,
                 label: str) -> T:  # pragma: no cover - Windows
    """Where there is no fork: a spawned process with the wall-clock limit only."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_spawned_child, args=(sender, work, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            process.kill()
            raise _too_slow(label, limits)
        payload = receiver.recv_bytes()
    except EOFError:
        payload = b""
    finally:
        process.join(5)
        receiver.close()
    return cast(T, _result(payload, label, limits, None))  # what work(*args) returned, unpickled


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m optimizer.isolation PATH
    started = time.perf_counter()
    dataset = load_dataset_isolated(sys.argv[1])
    print(f"{len(dataset.projects)} projects in {time.perf_counter() - started:.2f} s")
