"""Where the command line writes: never onto one of its inputs or the database, never through a link, never over
an existing file unless asked (``--force``).

A result is written to a temporary file in the output's folder and renamed into place: a reader never sees half
a file, and a symbolic link at the output's path is replaced by the file, its target left untouched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from optimizer.data.defaults import database_path


def inputs_of(data: str | Path | None) -> list[Path]:
    """The files a command reads: its ``--data`` (each file of a folder) and the database."""
    found = [database_path()]
    if data:
        path = Path(data)
        found += sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return found


def output_problems(out: Path | None, inputs: list[Path], force: bool, flag: str = "--out") -> list[str]:
    """Why ``out`` may not be written (English and Chinese in one line each), found before any work."""
    if out is None:
        return []
    target = out.resolve()  # where writing through a link would land
    for path in inputs:
        if path.exists() and (target == path.resolve() or out.absolute() == path.absolute()):
            return [f"{flag} {out} is one of the inputs ({path}): choose another file / 输出文件不能是输入文件"]
    if out.is_symlink() or out.exists():
        if out.is_dir():
            return [f"{flag} {out} is a folder, not a file / 输出路径是文件夹"]
        if not force:
            return [f"{flag} {out} exists: add --force to replace it / 输出文件已存在，如需覆盖请加 --force"]
    return []


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` by a rename from a temporary file beside it (a link there is replaced, not
    followed)."""
    folder = path.absolute().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path.absolute())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
