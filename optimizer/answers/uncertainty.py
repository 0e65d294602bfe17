"""How sure a portfolio is to meet its targets: Monte Carlo of the savings, and a robust pick.

Estimates of savings miss: realised savings come in 20-30 % off the estimate
often enough that a plan which meets a share target *exactly* at the point
estimate has roughly even odds of missing it. This module answers two
questions an analyst asks before defending a plan:

* :func:`simulate`: given a portfolio (or a roadmap: project -> year in
  service), the probability that each target is met (per year) and the
  P10/P50/P90 of the CO2 cut;
* :func:`robust_portfolio`: the portfolio with the most (nominal) CO2 that
  meets every target in at least ``probability`` of a seeded set of draws
  (sample-average approximation), checked on fresh draws, with the price of
  that confidence.

Modelling choices (each says why)
---------------------------------
* Each project's realised saving is its estimate times a factor drawn from a
  triangular distribution ``(low, 1, high)``: analysts state ranges as "low,
  expected, high", and a triangle needs exactly those three numbers. The
  range comes from ``co2_low``/``co2_high`` when the project gives them,
  otherwise from its category's default in ``data/uncertainty_defaults.csv``
  (cited, or marked ASSUMED).
* The project's **intensity reduction** is scaled by the **same factor** as
  its CO2: both come from the same energy saved, so a project that saves 80 %
  of its estimate cuts 80 % of its estimated intensity too (fully correlated
  within a project; independent between projects).
* Each project has its own random stream, derived from the seed and the
  project's position (``default_rng([seed, position])``). A project's draw
  therefore does not depend on what else is chosen: two portfolios are
  compared on the same draws (common random numbers), and the robust pick's
  in-sample scenarios are exactly the ones :func:`simulate` replays.
* Intensity accounting is the contract of ``docs/data-format.md`` (round 2):
  a project's reduction is ``energy_intensity - energy_intensity_after``
  (blank = 0, negative allowed); reductions of chosen projects on a facility
  add up; a facility is at a level when ``intensity - sum <= level`` (+1e-9);
  retired facilities leave every share. It is evaluated here from the
  Instance arrays directly, not through :mod:`optimizer.program.targets`, so this
  module already follows that contract while the model catches up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pulp

from optimizer.data.dataset import DATA_DIR, Dataset, Target
from optimizer.data.instance import Instance
from optimizer.program.build import build_model
from optimizer.program.closures import closed_mask, closures_by_order, timed_closures
from optimizer.program.horizon import AsOf
from optimizer.program.kinds import kind_of
from optimizer.program.model import PolicyOptions, RetrofitModel
from optimizer.program.scenarios import ScenarioRows, intensity_reductions
from optimizer.solving.solve import SolverSettings, solve_model

LEVEL_TOLERANCE = 1e-9  #: as :func:`optimizer.data.dataset.is_at_level`
DEFAULTS_FILE = DATA_DIR / "uncertainty_defaults.csv"


# --- the spreads ---------------------------------------------------------------


def load_uncertainty_defaults(path: Path = DEFAULTS_FILE) -> pd.DataFrame:
    """The per-category ranges (factors of the estimate) with their source, indexed by category."""
    table = pd.read_csv(path, dtype={"category": str}).set_index("category")
    if "other" not in table.index:
        raise ValueError(f"{path} needs a row for category 'other' (used for unknown categories)")
    return table


@dataclass(frozen=True)
class Spreads:
    """The range of each project's saving, aligned with the Instance's projects.

    ``co2_low``/``co2_mode``/``co2_high`` are tCO2/yr (the triangle of the CO2
    cut); ``factor_low``/``factor_high`` bound the multiplicative factor applied
    to the intensity reduction (mode 1). ``source`` says where each range came
    from: ``project`` (co2_low/co2_high) or ``default:<category>``.
    """

    co2_low: np.ndarray
    co2_mode: np.ndarray
    co2_high: np.ndarray
    factor_low: np.ndarray
    factor_high: np.ndarray
    source: np.ndarray

    @classmethod
    def zero(cls, instance: Instance) -> Spreads:
        """No uncertainty: every draw is the estimate (used to check the simulation against the plain result)."""
        ones = np.ones(instance.n_projects)
        co2 = instance.co2.astype(float)
        return cls(co2.copy(), co2.copy(), co2.copy(), ones, ones.copy(), np.full(instance.n_projects, "zero", object))


def project_spreads(dataset: Dataset, instance: Instance, defaults: pd.DataFrame | None = None) -> Spreads:
    """Each project's range: its own ``co2_low``/``co2_high`` where given, else its category's default.

    A project's own range overrides the CO2 triangle, and also scales its
    intensity reduction (``co2_low / co2`` .. ``co2_high / co2``) when its CO2
    estimate is positive. The estimate is clipped into its own range, so a
    range that does not contain it still yields a valid triangle.
    """
    defaults = load_uncertainty_defaults() if defaults is None else defaults
    projects = dataset.projects.reindex(instance.project_ids)
    category = projects.get("category", pd.Series(None, index=projects.index)).fillna("other").astype(str)
    category = category.where(category.isin(defaults.index), "other")
    low_factor = defaults.loc[category, "low_factor"].to_numpy(dtype=float)
    high_factor = defaults.loc[category, "high_factor"].to_numpy(dtype=float)
    co2 = instance.co2.astype(float)
    co2_low, co2_high = co2 * low_factor, co2 * high_factor
    source = np.array(["default:" + c for c in category], dtype=object)
    own_low = projects.get("co2_low", pd.Series(np.nan, index=projects.index)).to_numpy(dtype=float)
    own_high = projects.get("co2_high", pd.Series(np.nan, index=projects.index)).to_numpy(dtype=float)
    has_own = ~np.isnan(own_low) | ~np.isnan(own_high)
    co2_low = np.where(np.isnan(own_low), co2_low, own_low)
    co2_high = np.where(np.isnan(own_high), co2_high, own_high)
    co2_low, co2_high = np.minimum(co2_low, co2_high), np.maximum(co2_low, co2_high)
    mode = np.clip(co2, co2_low, co2_high)
    scalable = has_own & (co2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low_factor = np.where(scalable, co2_low / np.where(co2 > 0, co2, 1.0), low_factor)
        high_factor = np.where(scalable, co2_high / np.where(co2 > 0, co2, 1.0), high_factor)
    low_factor, high_factor = np.minimum(low_factor, 1.0), np.maximum(high_factor, 1.0)
    source[has_own] = "project"
    return Spreads(co2_low, mode, co2_high, low_factor, high_factor, source)


# --- the draws -----------------------------------------------------------------


def triangular_quantile(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangle (low, mode, high) at ``u``; exactly ``mode`` where low == high.

    Written out (rather than ``Generator.triangular``) so one uniform draw
    gives both the CO2 and the intensity factor of a project, and so a zero
    spread returns the estimate bit for bit.
    """
    width = high - low
    wide = width > 0
    safe = np.where(wide, width, 1.0)
    peak = (mode - low) / safe
    # (a degenerate triangle is answered by ``mode`` below; clip so its unused branches stay real)
    left = low + np.sqrt(np.maximum(u * safe * (mode - low), 0.0))
    right = high - np.sqrt(np.maximum((1.0 - u) * safe * (high - mode), 0.0))
    return np.where(wide, np.where(u < peak, left, right), mode)


def uniform_draws(columns: Sequence[int] | np.ndarray, draws: int, seed: int) -> np.ndarray:
    """``draws`` x ``len(columns)`` uniforms; column j from project ``columns[j]``'s own seeded stream."""
    columns = np.asarray(columns, dtype=int)
    out = np.empty((draws, len(columns)))
    for j, position in enumerate(columns):
        out[:, j] = np.random.default_rng([int(seed), int(position)]).random(draws)
    return out


def draw_projects(spreads: Spreads, columns: Sequence[int] | np.ndarray, draws: int,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """CO2 cut (tCO2/yr) and intensity factor of projects ``columns`` in each draw (both draws x columns)."""
    columns = np.asarray(columns, dtype=int)
    u = uniform_draws(columns, draws, seed)
    co2 = triangular_quantile(u, spreads.co2_low[columns], spreads.co2_mode[columns], spreads.co2_high[columns])
    factor = triangular_quantile(u, spreads.factor_low[columns], np.ones(len(columns)),
                                 spreads.factor_high[columns])
    return co2, factor


# --- the policy, evaluated on many draws at once ---------------------------------------


def retired_facilities(instance: Instance, chosen: np.ndarray) -> np.ndarray:
    """Facilities closed by a chosen retirement project (bool per facility)."""
    retired = np.zeros(len(instance.facility_ids), dtype=bool)
    retired[instance.facility[np.asarray(chosen, bool) & instance.retire]] = True
    return retired


def at_level_draws(instance: Instance, chosen: np.ndarray, factor: np.ndarray,
                   level: np.ndarray) -> np.ndarray:
    """draws x facilities: at or below ``level`` after the chosen projects' summed reductions.

    ``factor`` is draws x chosen projects (in the order of
    ``np.flatnonzero(chosen)``), the realised share of each nominal
    reduction. Facilities no chosen project touches keep their present
    intensity; the touched ones are summed with one matrix product.
    """
    chosen_positions = np.flatnonzero(chosen)
    draws = factor.shape[0]
    static = instance.intensity <= level + LEVEL_TOLERANCE
    flags = np.broadcast_to(static, (draws, len(static))).copy()
    reduction = intensity_reductions(instance)[chosen_positions]
    acting = reduction != 0
    if acting.any():
        facilities = instance.facility[chosen_positions[acting]]
        touched, column = np.unique(facilities, return_inverse=True)
        membership = np.zeros((acting.sum(), len(touched)))
        membership[np.arange(acting.sum()), column] = 1.0
        summed = (factor[:, acting] * reduction[acting]) @ membership
        flags[:, touched] = instance.intensity[touched] - summed <= level[touched] + LEVEL_TOLERANCE
    return flags


@dataclass(frozen=True)
class DrawOutcome:
    """Per target id: its value in each draw (NaN where nothing is left to measure) and whether it is met."""

    values: dict[str, np.ndarray]
    met: dict[str, np.ndarray]

    def all_met(self, draws: int) -> np.ndarray:
        flags = np.ones(draws, dtype=bool)
        for met in self.met.values():
            flags &= met
        return flags


def evaluate_draws(instance: Instance, targets: Sequence[Target], chosen: np.ndarray,
                   factor: np.ndarray, closed: np.ndarray | None = None) -> DrawOutcome:
    """Every enabled target in every draw, under the additive accounting (see the module's docstring).

    ``closed``: per facility, closed by order (default: by every small-line target, whatever its date).
    """
    chosen = np.asarray(chosen, dtype=bool)
    draws = factor.shape[0]
    if closed is None:
        closed = closed_mask(instance, closures_by_order(instance, list(targets)))
    retired = retired_facilities(instance, chosen) | closed
    enabled = [t for t in targets if t.enabled]
    levels = sorted({level for t in enabled if (level := kind_of(t.kind).level) is not None})
    flags = {level: at_level_draws(instance, chosen, factor, getattr(instance, level)) for level in levels}
    values, met = {}, {}
    for target in enabled:
        values[target.target_id], met[target.target_id] = kind_of(target.kind).draws(instance, target, retired,
                                                                                     flags, draws)
    return DrawOutcome(values, met)


# --- Monte Carlo of a portfolio or a roadmap -------------------------------------------


@dataclass
class MonteCarloResult:
    """P(target met) per target and year, and quantiles of the CO2 cut per year.

    ``years`` holds ``None`` alone when no in-service years were given (one
    column: the portfolio fully running).
    """

    draws: int
    seed: int
    years: list[int | None]
    met_probability: dict[str, list[float]]
    all_met_probability: list[float]
    co2_quantiles: list[dict[str, float]]
    seconds: float
    co2_samples: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def to_dict(self) -> dict:
        return {"draws": self.draws, "seed": self.seed, "years": self.years,
                "met_probability": self.met_probability, "all_met_probability": self.all_met_probability,
                "co2_quantiles": self.co2_quantiles, "seconds": self.seconds}

    def table(self) -> pd.DataFrame:
        """One row per year: P(all met), P(each target met), CO2 P10/P50/P90."""
        rows = []
        for i, year in enumerate(self.years):
            row = {"year": year, "p_all_met": self.all_met_probability[i]}
            row.update({f"p_met_{t}": p[i] for t, p in self.met_probability.items()})
            row.update({f"co2_{k}": v for k, v in self.co2_quantiles[i].items()})
            rows.append(row)
        return pd.DataFrame(rows)


def simulate(instance: Instance, targets: Sequence[Target], chosen: np.ndarray, spreads: Spreads, *,
             draws: int = 10_000, seed: int = 0, in_service: Mapping[str, int] | None = None,
             years: Sequence[int] | None = None, as_of: AsOf | None = None) -> MonteCarloResult:
    """Monte Carlo of a portfolio (``chosen``: bool per project) or of a roadmap.

    ``as_of``: the single-year question the portfolio answers; its lines are closed by order as they
    stand in its year (without it, by every small-line target).

    ``in_service`` maps project ids to the year each enters service; chosen
    projects absent from it count from the first year on. The years reported
    are ``years`` if given, else every in-service year and every target year.
    Without ``in_service`` there is one column, the whole portfolio running.
    """
    began = time.perf_counter()
    chosen = np.asarray(chosen, dtype=bool)
    positions = np.flatnonzero(chosen)
    co2, factor = draw_projects(spreads, positions, draws, seed)
    if in_service is None and years is None:
        schedule: list[int | None] = [None]
        start = np.full(len(positions), -math.inf)
    else:
        service = in_service or {}
        ids = instance.project_ids[positions]
        start = np.array([float(service.get(str(pid), -math.inf)) for pid in ids])
        if years is None:
            wanted = {int(y) for y in start if np.isfinite(y)}
            wanted |= {int(t.year) for t in targets if t.enabled and t.year is not None}
            schedule = list(sorted(wanted)) if wanted else [None]
        else:
            schedule = list(years)
    enabled = [t for t in targets if t.enabled]
    closed = None if as_of is None else closed_mask(instance, timed_closures(instance, enabled, as_of.horizon()))
    met_probability: dict[str, list[float]] = {t.target_id: [] for t in enabled}
    all_met, quantiles = [], []
    samples = []
    for year in schedule:
        active_columns = start <= (math.inf if year is None else year)
        active = np.zeros(instance.n_projects, dtype=bool)
        active[positions[active_columns]] = True
        outcome = evaluate_draws(instance, enabled, active, factor[:, active_columns], closed)
        for target in enabled:
            met_probability[target.target_id].append(float(outcome.met[target.target_id].mean()))
        all_met.append(float(outcome.all_met(draws).mean()))
        total = _co2_totals(spreads, positions[active_columns], co2[:, active_columns])
        samples.append(total)
        p10, p50, p90 = np.quantile(total, [0.1, 0.5, 0.9])
        mean = total[0] if draws and (total == total[0]).all() else total.mean()  # exact when nothing varies
        quantiles.append({"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(mean)})
    return MonteCarloResult(draws, seed, schedule, met_probability, all_met, quantiles,
                            time.perf_counter() - began, np.array(samples))


def _co2_totals(spreads: Spreads, positions: np.ndarray, co2: np.ndarray) -> np.ndarray:
    """Each draw's total CO2 cut; the projects without spread are summed once, as the plain result sums them.

    A row sum of a matrix may add in another order than the 1-D sum of the
    same numbers; summing the fixed projects as a 1-D array keeps a zero-spread
    run equal to ``PortfolioResult.co2_reduction_t`` to the last bit.
    """
    fixed = spreads.co2_low[positions] == spreads.co2_high[positions]
    constant = spreads.co2_mode[positions[fixed]].sum()
    if fixed.all():
        return np.full(co2.shape[0], constant)
    return constant + co2[:, ~fixed].sum(axis=1)


# --- robust mode: sample-average approximation -----------------------------------------


@dataclass
class RobustResult:
    """The robust pick beside the deterministic optimum, with the in- and out-of-sample checks.

    ``in_sample_probability`` is the share of the ``scenarios`` draws in
    which the pick meets every target, evaluated afresh (not read from the
    solver); ``out_of_sample_probability`` the same on ``check_draws`` new
    draws. ``price_of_confidence_t`` is the nominal CO2 given up against the
    deterministic optimum of the same accounting.
    """

    status: str
    probability: float
    scenarios: int
    seed: int
    selected: list[str]
    co2_reduction_t: float
    spend: float
    gap: float | None
    in_sample_probability: float | None
    out_of_sample_probability: float | None
    deterministic_status: str
    deterministic_co2_t: float | None
    deterministic_selected: list[str]
    deterministic_out_of_sample_probability: float | None
    price_of_confidence_t: float | None
    seconds: float
    message: str = ""
    chosen: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    reach: ChanceReach | None = None

    @property
    def has_portfolio(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k not in ("chosen", "reach")}
        data["reach"] = None if self.reach is None else self.reach.to_dict()
        return data


@dataclass(frozen=True)
class ChanceReach:
    """Why no portfolio reaches the probability asked for, in the robust pick's own scenarios.

    ``within_budget``: the highest share of the scenarios any portfolio
    within the budget meets every target in (``floor`` of it is what the
    robust pick can be asked for). ``any_budget``: the same with no budget.
    ``budget_needed``: the least capex (万元) of a portfolio reaching the
    probability asked for, when some budget reaches it (else None).
    ``per_target``: each enabled share target alone, the highest share of
    scenarios it can be met in at any budget: a target below the
    probability asked for is what makes it unreachable whatever is spent.
    Every figure is solved to optimality over the same seeded scenarios as
    the robust pick, so they are exact in-sample statements.
    """

    probability: float
    scenarios: int
    within_budget: float | None
    any_budget: float | None
    budget_needed: float | None
    per_target: dict[str, float | None]

    @property
    def limiting_targets(self) -> list[str]:
        """The targets that alone cannot be met in ``probability`` of the scenarios, at any budget."""
        return [t for t, p in self.per_target.items() if p is not None and p < self.probability - 1e-9]

    def to_dict(self) -> dict:
        return {"probability": self.probability, "scenarios": self.scenarios, "within_budget": self.within_budget,
                "any_budget": self.any_budget, "budget_needed": self.budget_needed, "per_target": self.per_target,
                "limiting_targets": self.limiting_targets}


def robust_portfolio(instance: Instance, targets: Sequence[Target], spreads: Spreads, *, budget: float | None,
                     probability: float = 0.9, scenarios: int = 100, seed: int = 0, check_draws: int = 10_000,
                     settings: SolverSettings = SolverSettings(), diagnose: bool = True,
                     options: PolicyOptions = PolicyOptions(), as_of: AsOf | None = None) -> RobustResult:
    """Most nominal CO2 within ``budget`` meeting every target in >= ``probability`` of ``scenarios`` draws.

    Sample-average approximation: ``scenarios`` seeded draws of every
    project's intensity factor; a binary per draw says "every target met in
    this draw", and at least ``ceil(probability * scenarios)`` of them must
    be 1. The pick is then checked on ``check_draws`` fresh draws (seed + 1):
    SAA's in-sample guarantee is exact, the out-of-sample one is an estimate
    that tightens with more scenarios.

    When no portfolio reaches ``probability`` (``status`` infeasible) and
    ``diagnose`` is set, ``reach`` says how far one can get: the highest
    probability within the budget and at any budget, the budget needed, and
    the targets that alone cap it (see :class:`ChanceReach`). ``options``
    carries excluded projects and who pays for closures by order; its
    compliance margin is not applied here (a draw meets a target at the
    plan's own value).
    """
    began = time.perf_counter()
    positions = np.arange(instance.n_projects)
    _, factor = draw_projects(spreads, positions, scenarios, seed)
    robust = _solve_chance(instance, targets, factor, probability, budget, settings, options, as_of)
    nominal = _solve_chance(instance, targets, np.ones((1, instance.n_projects)), 1.0, budget, settings, options, as_of)

    def out_of_sample(chosen: np.ndarray) -> float:
        return simulate(instance, targets, chosen, spreads, draws=check_draws, seed=seed + 1,
                        as_of=as_of).all_met_probability[0]

    robust_status, robust_chosen, robust_gap, message = robust
    found = robust_status in ("optimal", "feasible")
    closed = closed_mask(instance, timed_closures(instance, [t for t in targets if t.enabled],
                                                  (as_of or AsOf.of()).horizon()))
    in_sample = (float(evaluate_draws(instance, targets, robust_chosen, factor[:, robust_chosen], closed)
                       .all_met(scenarios).mean()) if found else None)
    det_status, det_chosen, _, _ = nominal
    det_found = det_status in ("optimal", "feasible")
    co2 = float(instance.co2[robust_chosen].sum()) if found else 0.0
    det_co2 = float(instance.co2[det_chosen].sum()) if det_found else None
    return RobustResult(
        status=robust_status, probability=probability, scenarios=scenarios, seed=seed,
        selected=[str(p) for p in instance.project_ids[robust_chosen]] if found else [],
        co2_reduction_t=co2, spend=float(instance.capex[robust_chosen].sum()) if found else 0.0,
        gap=robust_gap, in_sample_probability=in_sample,
        out_of_sample_probability=out_of_sample(robust_chosen) if found else None,
        deterministic_status=det_status, deterministic_co2_t=det_co2,
        deterministic_selected=[str(p) for p in instance.project_ids[det_chosen]] if det_found else [],
        deterministic_out_of_sample_probability=out_of_sample(det_chosen) if det_found else None,
        price_of_confidence_t=(det_co2 - co2) if found and det_co2 is not None else None,
        seconds=time.perf_counter() - began, message=message, chosen=robust_chosen if found else
        np.zeros(instance.n_projects, bool),
        reach=chance_reach(instance, targets, factor, probability, budget, settings, options, as_of)
        if diagnose and robust_status == "infeasible" else None)


def chance_reach(instance: Instance, targets: Sequence[Target], factor: np.ndarray, probability: float,
                 budget: float | None, settings: SolverSettings = SolverSettings(),
                 options: PolicyOptions = PolicyOptions(), as_of: AsOf | None = None) -> ChanceReach:
    """How far the scenarios ``factor`` (scenarios x projects) let a portfolio get (see :class:`ChanceReach`).

    Each figure is one solve of the robust pick's own model with another
    objective: the most scenarios met (within the budget, then without),
    the least capex meeting ``ceil(probability x scenarios)`` of them, and
    the most scenarios each share target alone is met in.
    """
    scenarios = factor.shape[0]
    exact = replace(settings, gap=0.0, core_search=False)

    def most_met(chosen_targets: Sequence[Target], ceiling: float | None) -> float | None:
        status, _, objective = _solve_chance_objective(instance, chosen_targets, factor, ceiling, exact, "most_met",
                                                       options=options, as_of=as_of)
        return None if objective is None or status not in ("optimal", "feasible") else \
            round(objective) / scenarios

    within = most_met(targets, budget)
    anywhere = within if budget is None else most_met(targets, None)
    needed = None
    if anywhere is not None and anywhere >= probability - 1e-9:
        status, chosen, _ = _solve_chance_objective(instance, targets, factor, None,
                                                    replace(settings, core_search=False), "least_capex", probability,
                                                    options, as_of)
        if status in ("optimal", "feasible"):
            needed = float(instance.capex[chosen].sum())
    per_target: dict[str, float | None] = {}
    for target in targets:
        if target.enabled and kind_of(target.kind).is_share:
            alone = [t if t is target else replace(t, enabled=False) for t in targets]
            per_target[target.target_id] = most_met(alone, None)
    return ChanceReach(probability, scenarios, within, anywhere, needed, per_target)


def _solve_chance_objective(instance: Instance, targets: Sequence[Target], factor: np.ndarray,
                            budget: float | None, settings: SolverSettings, objective: str,
                            probability: float = 0.0, options: PolicyOptions = PolicyOptions(),
                            as_of: AsOf | None = None) -> tuple[str, np.ndarray, float | None]:
    """The chance model with objective ``most_met`` (scenarios meeting every target) or ``least_capex``."""
    enabled = [t for t in targets if t.enabled]
    model = build_model(instance, [t for t in enabled if kind_of(t.kind).closes_lines],
                        (as_of or AsOf.of()).horizon(budget), "cost" if objective == "least_capex" else "co2",
                        options=options)
    rows = add_scenario_rows(model, enabled, factor)
    if objective == "most_met":
        model.objective_scale = 1.0
        model.problem.setObjective(pulp.lpSum(rows.met))
    else:
        add_chance_constraint(model, rows, probability)
    outcome = solve_model(model, settings)
    return outcome.status, outcome.chosen, outcome.objective


def _solve_chance(instance: Instance, targets: Sequence[Target], factor: np.ndarray, probability: float,
                  budget: float | None, settings: SolverSettings, options: PolicyOptions = PolicyOptions(),
                  as_of: AsOf | None = None) -> tuple[str, np.ndarray, float | None, str]:
    """Build the model's budget and project-list rows, add the scenario rows, solve; (status, chosen, gap, msg).

    Only the targets that close lines go to :func:`build_model` (they do not
    depend on the draws); the share targets are written here per scenario, in
    the additive accounting, so the robust pick and :func:`evaluate_draws`
    read the policy the same way.
    """
    enabled = [t for t in targets if t.enabled]
    model = build_model(instance, [t for t in enabled if kind_of(t.kind).closes_lines],
                        (as_of or AsOf.of()).horizon(budget), "co2", options=options)
    rows = add_scenario_rows(model, enabled, factor)
    add_chance_constraint(model, rows, probability)
    outcome = solve_model(model, settings)
    return outcome.status, outcome.chosen, outcome.gap, outcome.message


def add_scenario_rows(model: RetrofitModel, enabled: Sequence[Target], factor: np.ndarray) -> ScenarioRows:
    """The per-scenario flags and the share targets' rows written on them (no chance row yet)."""
    rows = add_scenario_flags(model, factor.shape[0])
    cache: dict[tuple[str, int, int], pulp.LpVariable | pulp.LpAffineExpression] = {}
    for number, target in enumerate(enabled):
        kind_of(target.kind).scenario_rows(model, rows, target, factor, f"t{number}", cache)
    return rows


def add_scenario_flags(model: RetrofitModel, scenarios: int) -> ScenarioRows:
    """One binary per scenario: 1 claims that every target is met in that draw."""
    met = model.problem.add_variable_dicts("scenario_met", range(scenarios), cat=pulp.LpBinary)
    # The model's own retirement expressions: chosen retirements, and lines closed by order (constant 1).
    year = model.horizon.last
    retired = {}
    for f in range(model.instance.n_facilities):
        if model.closed_in(f, year):
            retired[f] = pulp.LpAffineExpression(constant=1)
        elif terms := model.service(model.retirements(f), year):
            retired[f] = pulp.LpAffineExpression(terms)
    return ScenarioRows([met[s] for s in range(scenarios)], retired)


def add_chance_constraint(model: RetrofitModel, rows: ScenarioRows, probability: float) -> None:
    """At least ``ceil(probability x scenarios)`` scenarios meet every target (the SAA chance row)."""
    needed = math.ceil(probability * len(rows.met) - 1e-9)
    model.add(pulp.lpSum(rows.met) >= needed, "chance_every_target_met")


