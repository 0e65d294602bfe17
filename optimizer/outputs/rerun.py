"""Solving again from a run record, and saying exactly what differs.

A record comes as a JSON file (it names the data's path) or inside a
workbook written by :mod:`optimizer.outputs.export` (whose ``data_*`` sheets carry
the data it was solved on, so the workbook alone is enough).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

from optimizer.answers.question import HONOURED, Question, answer, solver_of
from optimizer.data.checks import build_dataset, load_dataset
from optimizer.data.dataset import Dataset
from optimizer.data.instance import prepare
from optimizer.data.problems import DataError, Problem
from optimizer.data.reading import read_bytes
from optimizer.outputs.export import DATA_SHEET_PREFIX, read_record_workbook
from optimizer.outputs.record import Difference, RunRecord, compare, make_record
from optimizer.solving.solve import PortfolioResult, SolverSettings


@dataclass
class Rerun:
    """A rerun: the new result, its record, and how it differs from the recorded one."""

    result: PortfolioResult
    record: RunRecord
    recorded: RunRecord
    differences: list[Difference]
    unhonoured: list[str]

    @property
    def identical(self) -> bool:
        return not any(d.decisive for d in self.differences) and not self.unhonoured


def load_record(path: str | Path, data: str | Path | None = None) -> tuple[RunRecord, Dataset]:
    """The record in ``path`` (a ``.json`` record or an ``.xlsx`` with a ``run_record`` sheet) and its data.

    ``data`` overrides where the data is read (a record's ``data_path`` may
    point where the data no longer is). Raises :class:`DataError`.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem("unreadable", str(path), details={"reason": "no such file or folder"})])
    if path.suffix.lower() == ".xlsx":
        content = path.read_bytes()
        try:
            record = read_record_workbook(content)
        except (ValueError, KeyError) as error:
            raise DataError([Problem("unreadable", path.name, details={
                "reason": f"no readable run_record sheet ({error})"})]) from None
        if data is not None:
            return record, load_dataset(data, name=record.dataset_name)
        return record, workbook_dataset(path.name, content, record.dataset_name)
    try:
        record = RunRecord.from_json(path.read_text(encoding="utf-8-sig"))
    except (ValueError, TypeError) as error:
        raise DataError([Problem("unreadable", path.name, details={"reason": f"not a run record: {error}"})]) from None
    source = data if data is not None else record.data_path
    if not source:
        raise DataError([Problem("unreadable", path.name, details={
            "reason": "the record names no data path: pass --data"})])
    source = Path(source)
    if not source.is_absolute() and not source.exists() and (path.parent / source).exists():
        source = path.parent / source  # a relative path written beside the record
    return record, load_dataset(source, name=record.dataset_name)


def workbook_dataset(filename: str, content: bytes, name: str) -> Dataset:
    """The data a portfolio workbook carries in its ``data_*`` sheets."""
    tables = []
    for table in read_bytes(filename, content):
        sheet = table.file.rsplit("[", 1)[-1].rstrip("]")
        if sheet.startswith(DATA_SHEET_PREFIX):
            tables.append(replace(table, name=sheet[len(DATA_SHEET_PREFIX):]))
    if not tables:
        raise DataError([Problem("missing_table", filename, details={
            "table": "data_facilities", "found": "—"})])
    return build_dataset(tables, name=name)


def rerun(record: RunRecord, dataset: Dataset, solver_settings: SolverSettings | None = None) -> Rerun:
    """Solve ``dataset`` with the question the record asked and compare with the record."""
    settings = record.settings
    solver = solver_settings or solver_of(record.solver, record.time_limit, record.requested_gap)
    question = Question.from_dict(settings, solver)
    result = answer(prepare(dataset, question.emission_factors()), question.targets_of(dataset), question)
    now = make_record(dataset, result, solver_settings=solver, settings=settings, data_path=record.data_path)
    unhonoured = sorted(k for k, v in settings.items() if k not in HONOURED and v not in (None, [], {}))
    return Rerun(result, now, record, compare(record, now), unhonoured)


def report_lines(run: Rerun) -> list[str]:
    """What the rerun says, one line each: identical, or every difference."""
    lines = []
    if run.identical:
        lines.append("identical: same data hash, solver, status and selection as the record")
    else:
        lines.append("DIFFERENT from the record:")
    for difference in run.differences:
        mark = "  - " if difference.decisive else "  · (note) "
        lines.append(mark + difference.text())
    for key in run.unhonoured:
        lines.append(f"  - setting {key!r} = {json.dumps(run.recorded.settings[key], ensure_ascii=False)} "
                     "is not supported by this version's rerun")
    return lines


def read_any_record(content: bytes, filename: str) -> RunRecord:
    """A record from bytes: a workbook's ``run_record`` sheet or a JSON record."""
    if filename.lower().endswith(".xlsx"):
        return read_record_workbook(content)
    return RunRecord.from_json(io.BytesIO(content).read().decode("utf-8-sig"))
