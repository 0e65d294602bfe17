"""An upload, from bytes to a stored dataset: read, check, store, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import build_dataset
from .dataset import Dataset
from .problems import DataError, Problem
from .reading import read_bytes
from .store import Store


@dataclass
class ImportOutcome:
    """The stored dataset, or every problem found (and nothing stored)."""

    dataset: Dataset | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.dataset is not None


def import_upload(store: Store, name: str, filename: str, data: bytes) -> ImportOutcome:
    """Check an uploaded file and store it as dataset ``name``; on any problem store nothing but the log line."""
    try:
        tables = read_bytes(filename, data)
        dataset = build_dataset(tables, name=name)
    except DataError as error:
        store.log_failed_import(name, filename, error.texts("en"))
        return ImportOutcome(None, error.problems)
    rows = sum(len(t.frame) for t in tables)
    store.save_dataset(name, dataset, source_file=filename, rows_in_file=rows)
    return ImportOutcome(dataset)
