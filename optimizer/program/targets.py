"""Where each target stands for a given choice of projects, computed directly.

This is the plain reading of the policy, written without the model: which
facilities are retired, which are at benchmark or baseline, and the shares
that follow. The optimizer's results are reported through it, and the model
can be checked against it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.data.plants import facility_state
from optimizer.program.closures import closed_mask, timed_closures
from optimizer.program.horizon import AsOf, Horizon, TimedClosure
from optimizer.program.kinds import kind_of
from optimizer.program.kinds.base import TOLERANCE


@dataclass(frozen=True)
class TargetOutcome:
    """A target in one year: its value before any project, after the choice, and what is required.

    Shares are fractions (0-1); for ``min_line_capacity`` the values count the
    small lines still running. ``year`` is the year it is judged in;
    ``deadline`` the first year it binds (None: after the horizon),
    ``binding`` whether it binds in ``year``, ``overdue`` whether its own date
    (``due``) has passed before the question's first year.
    """

    target_id: str
    kind: str
    before: float | None
    after: float | None
    required: float
    met: bool
    name_en: str = ""
    name_zh: str = ""
    year: int | None = None
    due: int | None = None
    deadline: int | None = None
    binding: bool = True
    overdue: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def by_year(self) -> dict:
        """The row of a roadmap's ``targets_by_year``."""
        return {"target_id": self.target_id, "kind": self.kind, "year": self.year, "required": self.required,
                "value": self.after, "met": self.met, "binding": self.binding, "deadline": self.deadline,
                "overdue": self.overdue}


def evaluate_targets(instance: Instance, targets: list[Target], horizon: Horizon, service: np.ndarray,
                     year: int, margin: float = 0.0,
                     closures: list[TimedClosure] | None = None) -> list[TargetOutcome]:
    """Each enabled target as it stands in ``year``, before any project and with the projects in service.

    ``service`` is each project's in-service year (0: not chosen). Lines
    closed by order (see :mod:`optimizer.program.closures`) have left every share
    from their deadline on. ``margin`` (share points, 0.02 = 2 points) is
    added to every benchmark-share target, as the model does.
    """
    closures = timed_closures(instance, targets, horizon) if closures is None else closures
    service = np.asarray(service, dtype=int)
    in_service = (service > 0) & (service <= year)
    # every line closed by order by ``year``, with or without a retirement row, as the Monte Carlo reads it (a
    # portfolio has that row in service by then; an arbitrary choice of projects is read the same way)
    closed = closed_mask(instance, [c for c in closures if c.year <= year])
    before = facility_state(instance, np.zeros(instance.n_projects, dtype=bool))
    after = facility_state(instance, in_service, closed)
    outcomes = []
    for target in targets:
        if not target.enabled:
            continue
        deadline = horizon.deadline(target)
        kind = kind_of(target.kind)
        value_after = kind.value(instance, target, after)
        outcomes.append(TargetOutcome(
            target.target_id, target.kind, kind.value(instance, target, before), value_after,
            kind.required(target, margin), kind.is_met(target, value_after, margin), target.name_en, target.name_zh,
            year=year, due=None if target.year is None else int(target.year), deadline=deadline,
            binding=deadline is not None and year >= deadline, overdue=horizon.is_overdue(target)))
    return outcomes


def evaluate_portfolio(instance: Instance, targets: list[Target], chosen: np.ndarray, as_of: AsOf | None = None,
                       margin: float = 0.0) -> list[TargetOutcome]:
    """Each target in the as-of year for a single-year portfolio (``chosen``: one bool per project, in service).

    The as-of year defaults as every single-year question does (:meth:`AsOf.of`).
    """
    horizon = (as_of or AsOf.of()).horizon()
    return evaluate_targets(instance, targets, horizon, np.where(np.asarray(chosen, dtype=bool), horizon.last, 0),
                            horizon.last, margin)


def verdict(outcome: TargetOutcome, lang: str = "en") -> str:
    """The verdict as every output writes it: met or not in the year judged, and whether it is overdue.

    "met (overdue, due 2025)" / "达标（已逾期，原定2025年）"; a target that does
    not bind yet reads "not yet binding (due 2030)" / "尚未到期（2030年）".
    """
    due_en = f"due {outcome.due}" if outcome.due is not None else "no date"
    due_zh = f"原定{outcome.due}年" if outcome.due is not None else "无期限"
    if not outcome.binding:
        return f"尚未到期（{due_zh}）" if lang == "zh" else f"not yet binding ({due_en})"
    if lang == "zh":
        mark = "达标" if outcome.met else "未达标"
        return f"{mark}（已逾期，{due_zh}）" if outcome.overdue else mark
    mark = "met" if outcome.met else "NOT MET"
    return f"{mark} (overdue, {due_en})" if outcome.overdue else mark


def shortfall(outcome: TargetOutcome) -> float:
    """Share points (as a fraction) by which a binding share target is missed; 0 when met or not a share."""
    return missing_share(outcome.kind, outcome.after, outcome.required) if outcome.binding else 0.0


def missing_share(kind: str, value: float | None, required: float) -> float:
    """Share points by which ``value`` misses ``required``; 0 when met, not a share, or nothing left to measure."""
    if not kind_of(kind).is_share or value is None:
        return 0.0
    missing = required - value
    return float(missing) if missing > TOLERANCE else 0.0
