"""The analyst's question as one frozen value, and its serialisations.

A :class:`Settings` value is everything a result depends on: the dataset and its version, the
objective, the budget or the CO2 goal, the target switches and values, the margin, the factors,
the solver settings, and the roadmap fields later issues will use. The URL
(:meth:`Settings.to_query` / :meth:`Settings.from_query`), a saved scenario and the workbook's
assumptions sheet (:meth:`Settings.to_dict` / :meth:`Settings.from_dict`) all write and read this
one value. Nothing here knows Streamlit: :mod:`ui.session` keeps the value in the session and binds
the widgets to it.

Values from outside (a link, a scenario, a file) are never trusted: :meth:`Settings.checked`
brings each into its range for the dataset on screen and says, as :class:`Notice` rows, what it
changed, so no widget is ever handed a value it would refuse.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from optimizer.answers.question import TargetChange
from optimizer.program.kinds import kind_of
from storage.store import SAMPLE_NAME

Objective = Literal["co2", "cost"]
OBJECTIVES: tuple[str, ...] = ("co2", "cost")
SOLVERS: tuple[str, ...] = ("highs", "cbc")
LANGUAGES: tuple[str, ...] = ("zh", "en")

DEFAULT_DATASET = SAMPLE_NAME
DEFAULT_BUDGET = 300_000.0
DEFAULT_CO2_GOAL = 2_000_000.0
DEFAULT_GRID_FACTOR = "grid_fujian_2023"
DEFAULT_DISCOUNT_RATE = 0.08
TIME_LIMIT_RANGE = (1.0, 3600.0)
GAP_RANGE = (0.0, 0.5)
CO2_GOAL_MAX = 1e12
YEAR_RANGE = (2000, 2100)
MARGIN_RANGE = (0.0, 20.0)  # share points
DISCOUNT_RATE_RANGE = (0.0, 1.0)
GRID_FACTOR_RANGE = (0.0, 2.0)  # tCO2/MWh
FUEL_FACTOR_RANGE = (0.0, 10.0)  # tCO2/tce
MAX_EXCLUDED = 10_000  # excluded project ids a link, scenario or sheet may carry


@dataclass(frozen=True)
class Notice:
    """Something :meth:`Settings.checked` changed, for the user to read (``code`` is a ui.i18n key)."""

    code: str
    values: tuple[tuple[str, str], ...] = ()

    def kwargs(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class Limits:
    """What the dataset on screen allows: its name and version, the budget range, its targets.

    ``targets`` maps each target id to ``(kind, default enabled, default value)``.
    """

    dataset: str
    version: str
    budget_max: float
    targets: Mapping[str, tuple[str, bool, float]]
    datasets: tuple[str, ...] = ()
    #: The dataset's project ids (for the excluded projects); None: not known, kept as they are.
    projects: frozenset[str] | None = None


@dataclass(frozen=True)
class Settings:
    """The analyst's question. Frozen and hashable: cached functions take it whole.

    Money is in 万元, CO2 in t/yr. ``targets`` holds only the targets the analyst changed from
    the dataset's own (sorted by id, so equal questions are equal values). ``margin`` is in share
    points (0.0 = the plans' shares exactly). Fields without a widget yet (margin, factors,
    discount rate, the roadmap) are carried and serialised all the same.
    """

    dataset: str = DEFAULT_DATASET
    dataset_version: str = ""
    objective: Objective = "co2"
    budget: float = DEFAULT_BUDGET
    co2_goal: float = DEFAULT_CO2_GOAL
    targets: tuple[TargetChange, ...] = ()
    margin: float = 0.0
    order_capex_in_budget: bool = True
    fuel_factors: tuple[tuple[str, float], ...] = ()
    grid_factor_id: str = DEFAULT_GRID_FACTOR
    grid_factor: float | None = None
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    solver: str = "highs"
    time_limit: float = 60.0
    gap: float = 0.001
    horizon_start: int | None = None
    horizon_end: int | None = None
    budgets_per_year: tuple[tuple[int, float], ...] = ()
    carry_over: bool = False
    overdue_deadline: int | None = None
    #: Projects the analyst left out of the alternatives ("exclude this project and re-solve"), sorted.
    excluded: tuple[str, ...] = ()
    #: The year a single-year answer is in service by (None: the year after ``horizon_start``, or after this year).
    as_of_year: int | None = None

    # --- reading -------------------------------------------------------------------------

    def target(self, target_id: str) -> TargetChange | None:
        return next((t for t in self.targets if t.target_id == target_id), None)

    def with_target(self, target_id: str, enabled: bool, value: float) -> Settings:
        """This question with one target set (kept sorted by id)."""
        rest = [t for t in self.targets if t.target_id != target_id]
        chosen = TargetChange(target_id, bool(enabled), float(value))
        return replace(self, targets=tuple(sorted([*rest, chosen], key=lambda t: t.target_id)))

    def solve_budget(self) -> float | None:
        return self.budget if self.objective == "co2" else None

    def solve_goal(self) -> float | None:
        return self.co2_goal if self.objective == "cost" else None

    # --- dict (scenarios, the assumptions sheet) ----------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; ``targets`` as ``{id: [value, enabled]}`` (what scenarios always stored)."""
        data = asdict(self)
        data["targets"] = {t.target_id: [t.value, t.enabled] for t in self.targets}
        data["fuel_factors"] = {k: v for k, v in self.fuel_factors}
        data["budgets_per_year"] = [[y, b] for y, b in self.budgets_per_year]
        data["excluded"] = list(self.excluded)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Settings | None = None) -> Settings:
        """The settings a dict describes, on top of ``base``; unknown keys and unreadable values are skipped.

        Values are only parsed here; :meth:`checked` brings them into range.
        """
        out = base or cls()
        changes: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data or data[f.name] is None and f.name not in _OPTIONAL:
                continue
            try:
                changes[f.name] = _parse(f.name, data[f.name])
            except (TypeError, ValueError, AttributeError):
                continue
        return replace(out, **changes)

    # --- the workbook's assumptions sheet ---------------------------------------------------

    def to_assumptions(self) -> dict[str, Any]:
        """One row per field for the assumptions sheet: plain values, lists and maps as JSON text."""
        return {key: json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
                for key, value in self.to_dict().items()}

    @classmethod
    def from_assumptions(cls, rows: Mapping[str, Any], base: Settings | None = None) -> Settings:
        """The question an assumptions sheet records (``item -> value`` of its setting rows)."""
        data: dict[str, Any] = {}
        for key, value in rows.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            if key in ("targets", "fuel_factors", "budgets_per_year", "excluded") and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue
            data[str(key)] = value
        return cls.from_dict(data, base)

    # --- the URL --------------------------------------------------------------------------

    def to_query(self) -> dict[str, str]:
        """Query parameters of a link that reopens this question (defaults left out, except the basics)."""
        default = Settings()
        query = {"dataset": self.dataset, "objective": self.objective}
        if self.objective == "co2":
            query["budget"] = _number(self.budget)
        else:
            query["co2_goal"] = _number(self.co2_goal)
        if self.targets:
            query["targets"] = ",".join(
                f"{t.target_id}:{'on' if t.enabled else 'off'}:{_number(t.value)}" for t in self.targets)
        for name in _QUERY_EXTRA:
            value = getattr(self, name)
            if value != getattr(default, name):
                query[name] = _query_text(value)
        return query

    @classmethod
    def from_query(cls, params: Mapping[str, str], base: Settings | None = None) -> Settings:
        """The question a link describes, on top of ``base``; what cannot be read is left as in ``base``."""
        data: dict[str, Any] = {}
        for name in ("dataset", "objective", "budget", "co2_goal", *_QUERY_EXTRA):
            if name in params and params[name] != "":
                data[name] = params[name]
        if params.get("targets"):
            targets = {}
            for item in str(params["targets"]).split(","):
                parts = item.rsplit(":", 2)
                if len(parts) == 3:
                    targets[parts[0]] = [parts[2], parts[1]]
            data["targets"] = targets
        for name in ("fuel_factors", "budgets_per_year", "excluded"):
            if name in data:
                try:
                    data[name] = json.loads(data[name])
                except ValueError:
                    del data[name]
        return cls.from_dict(data, base)

    # --- bringing outside values into range ----------------------------------------------

    def checked(self, limits: Limits) -> tuple[Settings, list[Notice]]:
        """This question made valid for the dataset on screen, and a notice for every change.

        Budget within 0..``limits.budget_max``; goal, time limit and gap within their ranges;
        only targets the dataset has, each value within its kind's range (a share 0-1), and
        overrides equal to the dataset's own dropped; an unknown objective or solver falls back.
        """
        notices: list[Notice] = []
        s = replace(self, dataset=limits.dataset, dataset_version=limits.version)

        def clamp(name: str, value: float, low: float, high: float) -> float:
            if not math.isfinite(value):
                value = getattr(Settings(), name)
            new = min(max(value, low), high)
            if new != value:
                notices.append(Notice("notice_clamped", (("field", name), ("value", _shown(value)),
                                                         ("new", _shown(new)))))
            return new

        if s.objective not in OBJECTIVES:
            notices.append(Notice("notice_unknown", (("field", "objective"), ("value", str(s.objective)))))
            s = replace(s, objective="co2")
        if s.solver not in SOLVERS:
            notices.append(Notice("notice_unknown", (("field", "solver"), ("value", str(s.solver)))))
            s = replace(s, solver="highs")
        s = replace(
            s,
            budget=clamp("budget", s.budget, 0.0, limits.budget_max),
            co2_goal=clamp("co2_goal", s.co2_goal, 0.0, CO2_GOAL_MAX),
            time_limit=clamp("time_limit", s.time_limit, *TIME_LIMIT_RANGE),
            gap=clamp("gap", s.gap, *GAP_RANGE),
            margin=clamp("margin", s.margin, *MARGIN_RANGE),
            discount_rate=clamp("discount_rate", s.discount_rate, *DISCOUNT_RATE_RANGE),
        )
        s = _checked_factors(s, notices, clamp)
        kept = []
        for t in s.targets:
            if t.target_id not in limits.targets:
                notices.append(Notice("notice_unknown_target", (("target", t.target_id),)))
                continue
            kind, enabled, value = limits.targets[t.target_id]
            wanted = t.value if math.isfinite(t.value) else value
            new_value = kind_of(kind).clamp_value(wanted)
            if new_value != t.value:
                notices.append(Notice("notice_target_clamped", (("target", t.target_id), ("value", _shown(t.value)),
                                                                ("new", _shown(new_value)))))
            if (t.enabled, new_value) != (enabled, value):
                kept.append(TargetChange(t.target_id, t.enabled, new_value))
        s = replace(s, targets=tuple(sorted(kept, key=lambda t: t.target_id)))
        if limits.projects is not None and s.excluded:
            unknown = [p for p in s.excluded if p not in limits.projects]
            if unknown:
                notices.append(Notice("notice_unknown_excluded", (("projects", ", ".join(unknown[:10])),)))
                s = replace(s, excluded=tuple(p for p in s.excluded if p in limits.projects))
        return s, notices


def _grid_ids() -> tuple[str, ...]:
    """The grid rows of the shipped emission factors (data/emission_factors.csv)."""
    from optimizer.data.dataset import load_emission_factors

    table = load_emission_factors()
    return tuple(str(i) for i in table.index[table["kind"] == "grid"])


def _checked_factors(s: Settings, notices: list[Notice], clamp: Any) -> Settings:
    """The grid row known (else the default, with a notice), the grid and fuel factors within their ranges."""
    if s.grid_factor_id not in _grid_ids():
        notices.append(Notice("notice_unknown", (("field", "grid_factor_id"), ("value", str(s.grid_factor_id)))))
        s = replace(s, grid_factor_id=DEFAULT_GRID_FACTOR)
    grid = None if s.grid_factor is None else clamp("grid_factor", s.grid_factor, *GRID_FACTOR_RANGE)
    fuels = tuple((fuel, clamp("fuel_factors", value, *FUEL_FACTOR_RANGE)) for fuel, value in s.fuel_factors)
    return replace(s, grid_factor=grid, fuel_factors=fuels)


#: Fields a link carries only when they differ from the default.
_QUERY_EXTRA: tuple[str, ...] = (
    "margin", "order_capex_in_budget", "grid_factor_id", "grid_factor", "discount_rate", "solver", "time_limit",
    "gap", "horizon_start", "horizon_end", "budgets_per_year", "carry_over", "overdue_deadline", "fuel_factors",
    "excluded", "as_of_year",
)
_OPTIONAL = {"grid_factor", "horizon_start", "horizon_end", "overdue_deadline", "as_of_year"}
_FLOATS = {"budget", "co2_goal", "margin", "discount_rate", "time_limit", "gap"}
_INTS = {"horizon_start", "horizon_end", "overdue_deadline", "as_of_year"}
_BOOLS = {"order_capex_in_budget", "carry_over"}
_TEXTS = {"dataset", "dataset_version", "objective", "grid_factor_id", "solver"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ValueError(value)


def _parse(name: str, value: Any) -> Any:
    """One field's value from JSON or query text (ValueError when it cannot be read)."""
    if name in _FLOATS:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if name in _INTS:
        if value is None or str(value).strip().lower() in ("", "none"):
            return None
        number = int(float(value))
        if not YEAR_RANGE[0] <= number <= YEAR_RANGE[1]:
            raise ValueError(value)
        return number
    if name in _BOOLS:
        return _bool(value)
    if name in _TEXTS:
        return str(value)[:200]
    if name == "grid_factor":
        if value is None or str(value).strip().lower() in ("", "none"):
            return None
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(value)
        return number
    if name == "targets":
        out = []
        items = value.items() if isinstance(value, Mapping) else ((v[0], v[1:]) for v in value)
        for target_id, pair in items:
            number, enabled = pair[0], pair[1]
            out.append(TargetChange(str(target_id)[:200], _bool(enabled), float(number)))
        return tuple(sorted(out, key=lambda t: t.target_id))
    if name == "fuel_factors":
        pairs = value.items() if isinstance(value, Mapping) else value
        factors = [(str(k)[:100], float(v)) for k, v in pairs]
        if any(not math.isfinite(v) or v < 0 for _, v in factors):
            raise ValueError(value)
        return tuple(sorted(factors))
    if name == "budgets_per_year":
        pairs = value.items() if isinstance(value, Mapping) else value
        budgets = [(int(float(y)), float(b)) for y, b in pairs]
        if any(not math.isfinite(b) or b < 0 or not YEAR_RANGE[0] <= y <= YEAR_RANGE[1] for y, b in budgets):
            raise ValueError(value)
        return tuple(sorted(budgets))
    if name == "excluded":
        ids: list[Any] = [value] if isinstance(value, str) else list(value)
        if len(ids) > MAX_EXCLUDED:
            raise ValueError(value)
        return tuple(sorted({str(v)[:200] for v in ids if str(v).strip()}))
    raise ValueError(name)


def _shown(value: float) -> str:
    """A number in a notice: thousands separated, whole numbers without decimals."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:,.6g}"


def _number(value: float) -> str:
    """A number as a link writes it: whole numbers plainly, others exactly (shortest round-trip form)."""
    return f"{value:.0f}" if float(value).is_integer() else repr(float(value))


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return json.dumps(list(value), separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, tuple):
        return json.dumps([list(v) for v in value], separators=(",", ":"))
    if isinstance(value, float):
        return _number(value)
    return str(value)


__all__ = ["LANGUAGES", "OBJECTIVES", "SOLVERS", "Limits", "Notice", "Settings", "TargetChange"]


# --- the roadmap's part of the question ----------------------------------------------------

#: The yearly budget of a year the table leaves blank (万元/yr), and the range of a horizon's years.
#: 100,000 万元/yr meets every target of the sample in time (from ~95,000 it can), so the page opens
#: on a roadmap, not on a diagnosis.
DEFAULT_BUDGET_PER_YEAR = 100_000.0
DEFAULT_LAST_YEAR = 2030
HORIZON_RANGE = (2020, 2060)
#: The longest horizon the app solves (years); a longer one from a link is cut with a notice.
MAX_HORIZON_YEARS = 15


def roadmap_years(s: Settings, this_year: int) -> tuple[int, int]:
    """The horizon of the question: its own years, else this year to 2030 (never ending before it starts)."""
    first = s.horizon_start if s.horizon_start is not None else this_year
    last = s.horizon_end if s.horizon_end is not None else max(DEFAULT_LAST_YEAR, first)
    return first, last


def roadmap_budgets(s: Settings, this_year: int) -> dict[int, float]:
    """Every year of the horizon with its budget (万元): the table's figure, else the default one."""
    first, last = roadmap_years(s, this_year)
    table = dict(s.budgets_per_year)
    return {year: float(table.get(year, DEFAULT_BUDGET_PER_YEAR)) for year in range(first, last + 1)}


def with_budgets(s: Settings, budgets: Mapping[int, float]) -> Settings:
    """This question with the yearly budgets set (years of the table outside ``budgets`` kept)."""
    table = {**dict(s.budgets_per_year), **{int(y): float(b) for y, b in budgets.items()}}
    return replace(s, budgets_per_year=tuple(sorted(table.items())))


def as_of_years(s: Settings, this_year: int) -> tuple[int, int]:
    """The single-year question's first year (the horizon's) and the year it is in service by (default: the next).

    The as-of year is kept within ``first``..:data:`HORIZON_RANGE` (a horizon moved past it on the
    Roadmap page must not leave the Optimize page's year box out of its range).
    """
    first = roadmap_years(s, this_year)[0]
    wanted = first + 1 if s.as_of_year is None else s.as_of_year
    return first, min(max(wanted, first), HORIZON_RANGE[1])


def check_roadmap(s: Settings, budget_max: float, this_year: int) -> tuple[Settings, list[Notice]]:
    """The roadmap fields brought into range, with a notice for each change (as :meth:`Settings.checked`).

    First year within :data:`HORIZON_RANGE`; the last year not before the first and at most
    :data:`MAX_HORIZON_YEARS` after it; the overdue deadline within the horizon; each yearly budget
    within 0..``budget_max`` (more than every project's capex buys nothing).
    """
    notices: list[Notice] = []

    def note(name: str, value: Any, new: Any) -> None:
        notices.append(Notice("notice_clamped", (("field", name), ("value", str(value)), ("new", str(new)))))

    first, last = roadmap_years(s, this_year)
    new_first = min(max(first, HORIZON_RANGE[0]), HORIZON_RANGE[1])
    if s.horizon_start is not None and new_first != first:
        note("horizon_start", first, new_first)
        s = replace(s, horizon_start=new_first)
    first = new_first
    new_last = min(max(last, first), first + MAX_HORIZON_YEARS - 1, HORIZON_RANGE[1])
    if new_last != last:
        note("horizon_end", last, new_last)
        s = replace(s, horizon_end=new_last)
    last = new_last
    if s.as_of_year is not None:
        as_of = min(max(s.as_of_year, first), HORIZON_RANGE[1])
        if as_of != s.as_of_year:
            note("as_of_year", s.as_of_year, as_of)
            s = replace(s, as_of_year=as_of)
    if s.overdue_deadline is not None:
        deadline = min(max(s.overdue_deadline, first), last)
        if deadline != s.overdue_deadline:
            note("overdue_deadline", s.overdue_deadline, deadline)
            s = replace(s, overdue_deadline=deadline)
    budgets = []
    for year, value in s.budgets_per_year:
        new = min(max(value, 0.0), budget_max)
        if new != value:
            note("budgets_per_year", f"{year}: {_shown(value)}", _shown(new))
        budgets.append((year, new))
    if tuple(budgets) != s.budgets_per_year:
        s = replace(s, budgets_per_year=tuple(budgets))
    return s, notices
