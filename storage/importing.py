"""An upload, from bytes to a stored dataset: read, check, store, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.data.dataset import Dataset
from optimizer.data.isolation import load_dataset_isolated
from optimizer.data.problems import DataError, Problem

from .access import Actor
from .store import Store


@dataclass
class ImportOutcome:
    """The stored dataset, or every problem found (and nothing stored).

    Each problem names the user's own header (``Problem.header``); ``headers`` may add, per file,
    ``{contract column: the header as the user wrote it}`` for messages about other columns.
    """

    dataset: Dataset | None
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.dataset is not None




def import_upload(store: Store, name: str, filename: str, data: bytes, *, actor: Actor | None = None) -> ImportOutcome:
    """Check an uploaded file and store it as dataset ``name``; on any problem store nothing but the log line.

    The file is read and checked in a child process with time, CPU and memory
    limits (:func:`optimizer.data.isolation.load_dataset_isolated`): a file built to
    hang or exhaust the reader costs its uploader a message, not the server.
    Problems name the user's own headers (``Problem.header``).

    Whether ``actor`` may write ``name`` is checked first (:meth:`Store.check_dataset_write`): a
    refused write raises :class:`~storage.access.AccessDenied` before the file is even read.
    """
    who = store.check_dataset_write(name, actor)
    try:
        dataset = load_dataset_isolated(data, name=name, filename=filename)
    except DataError as error:
        store.log_failed_import(name, filename, error.texts("en"), actor=who)
        return ImportOutcome(None, error.problems)
    rows = dataset.notes.get("rows_in_file")
    store.save_dataset(name, dataset, source_file=filename, rows_in_file=int(rows) if rows is not None else None,
                       actor=who)
    return ImportOutcome(dataset)
