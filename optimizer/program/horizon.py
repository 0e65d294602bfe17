"""When things happen: the years a question covers, when each project can be in service, and closures' deadlines.

One horizon serves both shapes of the question. A roadmap runs over the
years ``first..last``, each with its budget. A single-year question is the
horizon of one year, its *as-of* year ``Y``: what can be in service by
``Y``, bought from one budget, judged against the targets as they stand in
``Y``. Work may start from ``start`` (the question's first year ``Y0``,
default ``first``): a project may be in service from
``max(start, earliest_year) + lead_time_years``.

Targets: one with year ``T`` binds from ``T`` on; one dated before ``first``
is *overdue* and binds from the overdue deadline (default ``first + 1``,
clamped to ``last``); one without a year binds at ``last``; one dated after
``last`` binds in no year of the horizon.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from optimizer.data.dataset import Target
from optimizer.data.defaults import DEFAULT_LAST_YEAR
from optimizer.data.instance import Instance


def this_year() -> int:
    """The calendar year now: the default first year of every question."""
    return datetime.date.today().year


@dataclass(frozen=True)
class AsOf:
    """When a single-year question is asked: work may start in ``first_year``, the answer is in service by ``year``.

    Defaults: ``first_year`` this calendar year, ``year`` the year after
    (the roadmap's default overdue deadline).
    """

    first_year: int
    year: int

    @classmethod
    def of(cls, first_year: int | None = None, year: int | None = None) -> AsOf:
        first = this_year() if first_year is None else int(first_year)
        return cls(first, first + 1 if year is None else int(year))

    def horizon(self, budget: float | None = None) -> Horizon:
        """The horizon of one year this question is (see :meth:`Horizon.as_of`)."""
        return Horizon.as_of(self.year, first_year=self.first_year, budget=budget)

    def to_dict(self) -> dict:
        return {"first_year": self.first_year, "as_of_year": self.year}


class RoadmapSettingsError(ValueError):
    """Settings of a roadmap that no solve can honour; ``problems`` holds (English, Chinese) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(en for en, _ in problems))
        self.problems = problems


@dataclass(frozen=True)
class Horizon:
    """The years of a question and the money of each.

    ``budgets`` maps every year to its budget in 万元 (None: no yearly limit,
    for the least-cost mode). ``overdue_deadline`` is the year from which
    targets dated before ``first`` must hold (default ``first + 1``,
    clamped to ``last``). ``start`` is the first year work may start (the
    question's ``Y0``; default ``first``). Spend falling before ``first``
    (a single-year question's projects are built in the years before their
    as-of year) is charged to ``first``'s budget.
    """

    first: int
    last: int
    budgets: dict[int, float] | None = None
    carry_over: bool = False
    overdue_deadline: int | None = None
    start: int | None = None

    @classmethod
    def as_of(cls, year: int, *, first_year: int, budget: float | None = None) -> Horizon:
        """The single-year question: in service by ``year``, from work starting in ``first_year``, one budget."""
        return cls(year, year, None if budget is None else {year: float(budget)}, start=first_year)

    @property
    def origin(self) -> int:
        """The first year work may start."""
        return self.first if self.start is None else self.start

    @property
    def one_year(self) -> bool:
        return self.first == self.last

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    def is_overdue(self, target: Target) -> bool:
        """Dated before the horizon's first year: the plan's date has passed."""
        return target.year is not None and int(target.year) < self.first

    @property
    def overdue(self) -> int:
        default = self.first + 1 if self.overdue_deadline is None else self.overdue_deadline
        return min(max(default, self.first), self.last)

    def deadline(self, target: Target) -> int | None:
        """The first year a target binds: its year, the overdue deadline, or Y1 when it has none.

        None when its year is after the horizon: it binds in no year of it.
        """
        if target.year is None:
            return self.last
        if target.year < self.first:
            return self.overdue
        if target.year > self.last:
            return None
        return int(target.year)


def horizon_problems(first: int | None, last: int | None, budget_per_year: float | None = None,
                     budgets: Mapping[int, float] | None = None, overdue_deadline: int | None = None,
                     need_budget: bool = True) -> list[tuple[str, str]]:
    """Every bad roadmap setting, in English and Chinese, found before anything is solved."""
    problems: list[tuple[str, str]] = []
    if first is None or last is None:
        return [("the horizon needs a first and a last year", "规划期需要起止年份")]
    if last < first:
        return [(f"the horizon ends ({last}) before it starts ({first})",
                 f"规划期结束年份 {last} 早于起始年份 {first}")]
    if budget_per_year is not None and budgets is not None:
        problems.append(("give one budget for every year or a year → budget table, not both",
                         "请给出统一的年度预算或逐年预算表，不要同时给出"))
    if budget_per_year is not None and (not math.isfinite(budget_per_year) or budget_per_year < 0):
        problems.append((f"the budget per year must be a number ≥ 0 (万元), not {budget_per_year}",
                         f"年度预算须为不小于 0 的数（万元），而不是 {budget_per_year}"))
    if budgets is not None:
        for year, value in sorted(budgets.items()):
            if value is None or not math.isfinite(value) or value < 0:
                problems.append((f"the budget of {year} must be a number ≥ 0 (万元), not {value}",
                                 f"{year} 年预算须为不小于 0 的数（万元），而不是 {value}"))
        missing = [y for y in range(first, last + 1) if y not in budgets]
        if missing:
            listed = ", ".join(str(y) for y in missing)
            problems.append((f"no budget given for {listed} (every year of {first}–{last} needs one)",
                             f"缺少 {listed} 年的预算（{first}–{last} 每年都需要预算）"))
    elif budget_per_year is None and need_budget:
        problems.append(("a budget per year (or a year → budget table) is required",
                         "需要给出年度预算（或逐年预算表）"))
    if overdue_deadline is not None and overdue_deadline < first:
        problems.append((f"the overdue deadline {overdue_deadline} is before the horizon's first year {first}",
                         f"逾期目标的完成期限 {overdue_deadline} 早于规划期起始年份 {first}"))
    return problems


def make_horizon(first: int, last: int = DEFAULT_LAST_YEAR, *, budget_per_year: float | None = None,
                 budgets: Mapping[int, float] | None = None, carry_over: bool = False,
                 overdue_deadline: int | None = None, need_budget: bool = True) -> Horizon:
    """A checked horizon; raises :class:`RoadmapSettingsError` naming every bad setting."""
    problems = horizon_problems(first, last, budget_per_year, budgets, overdue_deadline, need_budget)
    if problems:
        raise RoadmapSettingsError(problems)
    years = range(first, last + 1)
    table = None
    if budgets is not None:
        table = {y: float(budgets[y]) for y in years}  # years outside the horizon play no part
    elif budget_per_year is not None:
        table = {y: float(budget_per_year) for y in years}
    return Horizon(first, last, table, carry_over, overdue_deadline)


# --- when each project may be in service -------------------------------------


@dataclass(frozen=True)
class Timing:
    """Per project: the first year it may be in service (``last + 1``: never), and why not (:attr:`cannot_fit`).

    The reasons are written only when an output asks for them: every build computes the timing, and a
    list with many late projects would otherwise pay for thousands of sentences per frontier point.
    """

    first_service: np.ndarray
    lead: np.ndarray
    start: np.ndarray
    earliest: np.ndarray
    project_ids: np.ndarray
    horizon: Horizon

    @cached_property
    def cannot_fit(self) -> list[dict]:
        """The projects that cannot be in service by the horizon's last year, each with the year it could and why
        (English, Chinese)."""
        horizon, lead, start, earliest = self.horizon, self.lead, self.start, self.earliest
        cannot = []
        span = f"{horizon.first}–{horizon.last}" if not horizon.one_year else str(horizon.last)
        for p in np.flatnonzero(self.first_service > horizon.last):
            pid = str(self.project_ids[p])
            if lead[p] < 0:
                why, en, zh = ("negative lead time", f"project {pid}: lead_time_years {lead[p]} is negative",
                               f"项目 {pid}：建设周期 {lead[p]} 为负数")
            elif not np.isnan(earliest[p]) and earliest[p] > horizon.last:
                why = "earliest_year after the horizon"
                en = f"project {pid}: earliest_year {int(earliest[p])} is after the horizon {span}"
                zh = f"项目 {pid}：最早年份 {int(earliest[p])} 晚于规划期 {span}"
            else:
                why = "lead time longer than the horizon"
                en = (f"project {pid}: starting in {int(start[p])} with a lead time of {lead[p]} year(s) it is in "
                      f"service in {int(start[p] + lead[p])} at the earliest, after the horizon {span}")
                zh = (f"项目 {pid}：{int(start[p])} 年开工、建设周期 {lead[p]} 年，"
                      f"最早 {int(start[p] + lead[p])} 年投运，晚于规划期 {span}")
            when = None if lead[p] < 0 else int(start[p] + lead[p])
            if horizon.one_year:
                lead_en = f"cannot be in service by {horizon.last}: {en}"
                lead_zh = f"无法在 {horizon.last} 年前投运：{zh}"
            else:
                lead_en, lead_zh = f"cannot fit the horizon: {en}", f"无法纳入规划期：{zh}"
            cannot.append({"project_id": pid, "why": why, "first_service_year": when, "reason_en": lead_en,
                           "reason_zh": lead_zh})
        return cannot


def project_timing(instance: Instance, horizon: Horizon) -> Timing:
    """``max(Y0, earliest_year) + lead`` per project (a negative lead: never)."""
    earliest = np.asarray(instance.earliest_year, dtype=float)
    lead = np.asarray(instance.lead_time, dtype=int)
    origin = horizon.origin
    start = np.where(np.isnan(earliest), origin, np.maximum(origin, np.ceil(np.nan_to_num(earliest))))
    first_service = (start + lead).astype(int)
    first_service[lead < 0] = horizon.last + 1
    return Timing(first_service, lead, start, earliest, instance.project_ids, horizon)


# --- closures by order, with their deadlines ---------------------------------


@dataclass(frozen=True)
class TimedClosure:
    """A line closed by order by ``year`` (the deadline of its ``min_line_capacity`` target)."""

    facility: int
    facility_id: str
    target_id: str
    year: int
    retirement_projects: tuple[str, ...]
    reason_en: str
    reason_zh: str
    capacity: float = 0.0
    threshold: float = 0.0

    def to_dict(self) -> dict:
        return {"facility_id": self.facility_id, "year": self.year, "reason": self.reason_en,
                "reason_en": self.reason_en, "reason_zh": self.reason_zh, "target_id": self.target_id,
                "capacity": self.capacity, "threshold": self.threshold,
                "retirement_projects": list(self.retirement_projects)}
