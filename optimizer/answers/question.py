"""The analyst's question as one value: what to optimise, with what money, as of when, under which readings.

The command line builds a :class:`Question` from its flags in one function,
the app from its settings, and the run record stores ``question.to_dict()``,
which ``rerun`` reads back with :meth:`Question.from_dict`. One set of
defaults serves them all. The library answers it with :func:`answer` and
explains a question without a portfolio with :func:`explain`.

A record's dict keeps the keys records have always had (``objective``,
``budget``, ``targets``, ``emission_factors``…), so older records read
back; one written before questions had a year carries no ``as_of_year``
and is read as of :data:`TIMELESS_YEAR` (every project in service, every
target binding: the timeless question it asked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from optimizer.answers.diagnosis import Diagnosis, diagnose
from optimizer.data.dataset import Dataset, EmissionFactors, Target
from optimizer.data.defaults import DEFAULT_DISCOUNT_RATE
from optimizer.data.instance import Instance
from optimizer.program.horizon import AsOf
from optimizer.program.model import Objective, PolicyOptions
from optimizer.solving.solve import PortfolioResult, SolverSettings, optimize, solver_name

#: The as-of year of a record written before questions had one: far enough that every project is in service.
TIMELESS_YEAR = 2100


@dataclass(frozen=True)
class TargetChange:
    """A target as the analyst set it: on or off, and its value (a share, or a capacity threshold)."""

    target_id: str
    enabled: bool
    value: float


@dataclass(frozen=True)
class Question:
    """One single-year question, with one set of defaults.

    ``budget`` (万元) bounds capex with the ``co2`` objective; ``co2_goal``
    (tCO2/yr) is what the ``cost`` objective must reach. ``first_year`` and
    ``as_of_year`` say when (None: this calendar year, and the year after;
    see :class:`~optimizer.horizon.AsOf`). ``targets`` holds the analyst's
    changes to the list's targets; ``no_targets`` switches them all off.
    ``factors`` None means the shipped emission factors.
    """

    objective: Objective = "co2"
    budget: float | None = None
    co2_goal: float | None = None
    first_year: int | None = None
    as_of_year: int | None = None
    targets: tuple[TargetChange, ...] = ()
    no_targets: bool = False
    options: PolicyOptions = field(default_factory=PolicyOptions)
    factors: EmissionFactors | None = None
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    solver: SolverSettings = field(default_factory=SolverSettings)

    # --- reading -----------------------------------------------------------------------

    def as_of(self) -> AsOf:
        return AsOf.of(self.first_year, self.as_of_year)

    def emission_factors(self) -> EmissionFactors:
        return self.factors or EmissionFactors.default()

    def targets_of(self, dataset: Dataset) -> list[Target]:
        """The dataset's targets with the analyst's changes (none at all with ``no_targets``)."""
        if self.no_targets:
            return []
        changed = {t.target_id: t for t in self.targets}
        return [replace(t, value=changed[t.target_id].value, enabled=changed[t.target_id].enabled)
                if t.target_id in changed else t for t in dataset.targets]

    def with_targets_of(self, targets: list[Target]) -> Question:
        """This question recording ``targets`` as solved (their values and on/off)."""
        return replace(self, targets=tuple(TargetChange(t.target_id, t.enabled, t.value) for t in targets))

    # --- the record's dict ---------------------------------------------------------------

    def to_dict(self, targets: list[Target] | None = None) -> dict[str, Any]:
        """The settings dict of a run record (JSON-ready); ``targets`` adds each target's kind beside its value."""
        kinds = {t.target_id: t.kind for t in targets or []}
        factors = self.emission_factors()
        data: dict[str, Any] = {
            "objective": self.objective, "budget": self.budget, "co2_goal": self.co2_goal,
            "first_year": self.as_of().first_year, "as_of_year": self.as_of().year,
            "targets": [{"target_id": t.target_id, "kind": kinds.get(t.target_id), "value": t.value,
                         "enabled": t.enabled} for t in self.targets],
            "emission_factors": {
                "grid": {"id": factors.grid_id, "value": factors.grid_t_per_mwh, "unit": "tCO2/MWh",
                         "source": factors.grid_source},
                "fuel": {"id": factors.fuel_id, "value": factors.fuel_t_per_tce, "unit": "tCO2/tce",
                         "source": factors.fuel_source},
                "fuels_t_per_tce": dict(factors.fuels),
            },
            "discount_rate": self.discount_rate,
        }
        optional = {"no_targets": True if self.no_targets else None,
                    "margin": self.options.margin or None,
                    "order_capex_in_budget": None if self.options.order_capex_in_budget else False,
                    "excluded": list(self.options.excluded) or None}
        data.update({k: v for k, v in optional.items() if v is not None})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], solver: SolverSettings | None = None) -> Question:
        """The question a record's settings dict asked (``solver``: the record's own solver settings)."""
        targets = tuple(TargetChange(str(t["target_id"]), bool(t["enabled"]), float(t["value"]))
                        for t in data.get("targets") or [])
        first, year = data.get("first_year"), data.get("as_of_year")
        return cls(
            objective="cost" if data.get("objective") == "cost" else "co2",
            budget=_number(data.get("budget")), co2_goal=_number(data.get("co2_goal")),
            first_year=None if first is None else int(first),
            as_of_year=TIMELESS_YEAR if year is None else int(year),
            targets=targets, no_targets=bool(data.get("no_targets")),
            options=PolicyOptions(margin=float(data.get("margin") or 0.0),
                                  order_capex_in_budget=data.get("order_capex_in_budget") is not False,
                                  excluded=tuple(str(p) for p in data.get("excluded") or ())),
            factors=_factors(data.get("emission_factors") or {}),
            discount_rate=float(data.get("discount_rate", DEFAULT_DISCOUNT_RATE)),
            solver=solver or SolverSettings(),
        )


#: The keys :meth:`Question.from_dict` reads (``rerun`` names any other a record carries as not honoured).
HONOURED = frozenset({"objective", "budget", "co2_goal", "first_year", "as_of_year", "targets", "no_targets",
                      "margin", "order_capex_in_budget", "excluded", "emission_factors", "discount_rate"})


def solver_of(name: str | None, time_limit: float | None, gap: float | None) -> SolverSettings:
    """A record's solver settings (highs, the record's limit and gap; 0.001 when it names none)."""
    return SolverSettings(solver_name(name or "highs"), time_limit, gap if gap is not None else 1e-3)


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _factors(recorded: dict[str, Any]) -> EmissionFactors | None:
    """The factors a record names, or None (the shipped ones) when it names none."""
    if not recorded:
        return None
    grid, fuel = recorded["grid"], recorded["fuel"]
    fuels = recorded.get("fuels_t_per_tce") or dict(EmissionFactors.default().fuels)
    return EmissionFactors(float(grid["value"]), float(fuel["value"]), grid.get("id", ""), fuel.get("id", ""),
                           grid.get("source", ""), fuel.get("source", ""),
                           tuple(sorted((str(k), float(v)) for k, v in fuels.items())))


def answer(instance: Instance, targets: list[Target], question: Question,
           start: np.ndarray | None = None) -> PortfolioResult:
    """The single-year answer to ``question`` on ``instance`` (prepared with the question's factors)."""
    return optimize(instance, budget=question.budget, objective=question.objective, co2_goal=question.co2_goal,
                    targets=targets, options=question.options, settings=question.solver, start=start,
                    as_of=question.as_of())


def explain(instance: Instance, targets: list[Target], question: Question) -> Diagnosis:
    """Why ``question`` has no portfolio (see :func:`optimizer.answers.diagnosis.diagnose`)."""
    return diagnose(instance, targets, objective=question.objective, budget=question.budget,
                    co2_goal=question.co2_goal, options=question.options, settings=question.solver,
                    as_of=question.as_of())
