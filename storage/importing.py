"""An upload, from bytes to a stored dataset: read, check, store, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.checks import build_dataset
from optimizer.dataset import Dataset
from optimizer.problems import DataError, Problem
from optimizer.reading import RawTable, read_bytes
from optimizer.schema import TABLES, canonical_header

from .store import Store


@dataclass
class ImportOutcome:
    """The stored dataset, or every problem found (and nothing stored).

    ``headers`` maps each file (as problems name it) to ``{contract column: the header as the
    user wrote it}``, so a message can name the user's own header.
    """

    dataset: Dataset | None
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.dataset is not None


def own_headers(tables: list[RawTable]) -> dict[str, dict[str, str]]:
    """Per file: each contract column it has, under the header the user wrote."""
    out: dict[str, dict[str, str]] = {}
    for table in tables:
        specs = [TABLES[table.name]] if table.name in TABLES else list(TABLES.values())
        mapping = out.setdefault(table.file, {})
        for header in table.frame.columns:
            for spec in specs:
                column = canonical_header(header, spec)
                if column in spec.names and column not in mapping:
                    mapping[column] = str(header).strip()
                    break
    return out


def import_upload(store: Store, name: str, filename: str, data: bytes) -> ImportOutcome:
    """Check an uploaded file and store it as dataset ``name``; on any problem store nothing but the log line."""
    tables: list[RawTable] = []
    try:
        tables = read_bytes(filename, data)
        dataset = build_dataset(tables, name=name)
    except DataError as error:
        store.log_failed_import(name, filename, error.texts("en"))
        return ImportOutcome(None, error.problems, own_headers(tables))
    rows = sum(len(t.frame) for t in tables)
    store.save_dataset(name, dataset, source_file=filename, rows_in_file=rows)
    return ImportOutcome(dataset, headers=own_headers(tables))
