"""Two honest comparators for the optimum: the MAC pick and a greedy that meets the targets.

**The MAC pick** is what a marginal-abatement-cost curve does. Projects are
ranked by abatement cost, CNY per tCO2 = (annualised capex − annual saving)
× 10,000 / annual CO2 cut (see :mod:`optimizer.data.economics`), cheapest first,
and funded down the list while money lasts. Alternatives of one exclusive
group are climbed step by step: the steps follow the group's lower convex
hull of annualised net cost against CO2, each upgrade ranked by its
*incremental* abatement cost and, when taken, paying the capex difference
(the cheaper alternative is dropped). A step that brings unchosen
prerequisites is ranked by the cost of the whole bundle. It ignores the
targets but obeys the list's own rules: budget, alternatives,
prerequisites, retirements (a retired facility takes nothing else, and a
facility with a chosen project is not retired), and closures by order (the
retirement row of a line closed by order is funded first; every other
project on such a line is never picked).

**The greedy** first buys what the share targets (benchmark shares and
baseline for all) still miss: repeatedly the facility move with the least
capex per share point it removes from the total still missing, across every
unmet target. A move brings one facility to a level (the cheapest set of its
projects, upgrades within a group included) or retires it. Then it fills the
rest of the budget in MAC order, skipping any step that would set a target
back. It reports the targets it cannot meet within the budget.

Both return a :class:`Pick`; the frontier stands them beside the optimum.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.data.dataset import Target, is_at_level
from optimizer.data.economics import DEFAULT_DISCOUNT_RATE, WAN, capital_recovery_factor
from optimizer.data.instance import Instance
from optimizer.program.closures import closed_mask, timed_closures
from optimizer.program.horizon import AsOf, Horizon, TimedClosure, project_timing
from optimizer.program.kinds import kind_of
from optimizer.program.model import PolicyOptions
from optimizer.program.targets import evaluate_targets

TOLERANCE = 1e-9
LEVEL_TOLERANCE = 1e-9  # as optimizer.dataset.is_at_level
#: Above this many combinations of a facility's projects the greedy looks for a level-reaching set greedily.
MAX_COMBINATIONS = 512


@dataclass(frozen=True)
class Step:
    """One rung of the MAC curve: choose ``project``, dropping ``replaces`` (-1: none) of its group."""

    project: int
    replaces: int
    cost_cny_per_t: float  # incremental abatement cost, with the prerequisites it brings
    co2_t: float           # incremental CO2 cut, tCO2/yr
    capex: float           # incremental capex, 万元


@dataclass(frozen=True)
class Pick:
    """A comparator's portfolio on one budget.

    ``feasible`` is False when the list's own rules cannot be obeyed within
    the budget (the retirements of lines closed by order alone do not fit);
    ``chosen`` then holds what could be funded and should not be reported as
    a portfolio. ``broken_targets`` are the enabled targets the portfolio
    misses (:func:`optimizer.program.targets.evaluate_targets`, with the margin).
    """

    chosen: np.ndarray
    spend: float
    co2_t: float
    feasible: bool
    broken_targets: tuple[str, ...]
    message: str = ""

    @property
    def targets_met(self) -> bool:
        return self.feasible and not self.broken_targets


# --- abatement cost and the MAC steps -----------------------------------------


def annualised_net_cost(instance: Instance, rate: float = DEFAULT_DISCOUNT_RATE) -> np.ndarray:
    """Per project: annualised capex minus annual saving, 万元 per year."""
    return instance.capex * capital_recovery_factor(rate, instance.lifetime) - instance.annual_saving


def abatement_cost(instance: Instance, rate: float = DEFAULT_DISCOUNT_RATE) -> np.ndarray:
    """Per project: CNY per tCO2 (NaN where the project cuts no CO2)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(instance.co2 > 0, annualised_net_cost(instance, rate) * WAN / instance.co2, np.nan)


def mac_steps(instance: Instance, rate: float = DEFAULT_DISCOUNT_RATE,
              excluded: np.ndarray | None = None) -> list[Step]:
    """The MAC curve's steps, cheapest incremental abatement cost first.

    A project outside any group is one step. A group's steps run along the
    lower convex hull of (CO2, annualised net cost) from "nothing chosen"
    to its deepest member; members above the hull are never steps. Only
    projects that cut CO2 and are not ``excluded`` take part. A step's cost
    counts the prerequisites it brings (those its predecessor did not).
    """
    net = annualised_net_cost(instance, rate)
    co2 = instance.co2
    eligible = co2 > 0
    if excluded is not None:
        eligible &= ~excluded
    before = _all_prerequisites(instance)
    raw: list[tuple[int, int, int]] = []  # (project, replaces, position on its hull)
    group_of = instance.group_of
    for p in np.flatnonzero(eligible & (group_of < 0)):
        raw.append((int(p), -1, 0))
    for members in instance.groups:
        hull = lower_hull([int(p) for p in members if eligible[p]], co2, net)
        for position, (source, target) in enumerate(zip([-1] + hull[:-1], hull)):
            raw.append((target, source, position))
    steps = []
    for project, replaces, position in raw:
        extra = before.get(project, set()) - before.get(replaces, set()) - {replaces}
        extra.discard(project)
        d_co2 = co2[project] - (co2[replaces] if replaces >= 0 else 0.0) + sum(co2[q] for q in extra)
        d_net = net[project] - (net[replaces] if replaces >= 0 else 0.0) + sum(net[q] for q in extra)
        capex = instance.capex[project] - (instance.capex[replaces] if replaces >= 0 else 0.0)
        cost = d_net * WAN / d_co2 if d_co2 > 0 else np.inf
        steps.append((cost, position, project,
                      Step(project, replaces, float(cost), float(co2[project] - (co2[replaces] if replaces >= 0
                                                                                   else 0.0)), float(capex))))
    steps.sort(key=lambda item: item[:3])
    return [item[3] for item in steps]


def lower_hull(members: list[int], co2: np.ndarray, net: np.ndarray) -> list[int]:
    """Members on the lower convex hull of (co2, net cost) from the origin, by rising CO2.

    Of members with equal CO2 only the cheapest can be on it; collinear
    members are kept (each is a step at the same incremental cost).
    """
    cheapest: dict[float, int] = {}
    for p in members:
        key = float(co2[p])
        if key not in cheapest or net[p] < net[cheapest[key]] - TOLERANCE:
            cheapest[key] = p
    hull: list[_Point] = [(0.0, 0.0, -1)]
    for x in sorted(cheapest):
        p = cheapest[x]
        point = (x, float(net[p]), p)
        while len(hull) >= 2 and _turn(hull[-2], hull[-1], point) < -TOLERANCE:
            hull.pop()
        hull.append(point)
    return [p for _, _, p in hull[1:]]


#: A point of :func:`lower_hull`: (CO2, net cost, project; -1 for the origin).
_Point = tuple[float, float, int]


def _turn(a: _Point, b: _Point, c: _Point) -> float:
    """Positive for a left (convex, rising slope) turn a→b→c."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _all_prerequisites(instance: Instance) -> dict[int, set[int]]:
    """Every project's transitive prerequisites (only projects that have some are keys)."""
    direct: dict[int, list[int]] = {}
    for project, prerequisite in instance.prerequisites:
        direct.setdefault(project, []).append(prerequisite)
    result: dict[int, set[int]] = {}
    for project, prerequisites in direct.items():
        seen: set[int] = set()
        stack = list(prerequisites)
        while stack:
            q = stack.pop()
            if q not in seen:
                seen.add(q)
                stack.extend(direct.get(q, []))
        result[project] = seen
    return result


# --- the portfolio being built, with the list's rules ---------------------------


class _Portfolio:
    """Chosen projects, money left and the counts the rules are checked against, changed only by valid moves."""

    def __init__(self, instance: Instance, budget: float | None, question: _Timed, options: PolicyOptions) -> None:
        self.instance = instance
        self.question = question
        self.closed = closed_mask(instance, question.closures)
        ordered = instance.retire & self.closed[instance.facility]
        self.pay = np.where(ordered & (not options.order_capex_in_budget), 0.0, instance.capex.astype(float))
        self.blocked = (self.closed[instance.facility] & ~instance.retire) | ~question.available
        self.budget = np.inf if budget is None else float(budget)
        self.spent = 0.0
        self.chosen = np.zeros(instance.n_projects, dtype=bool)
        self.count = np.zeros(instance.n_facilities, dtype=int)
        self.retiring = np.zeros(instance.n_facilities, dtype=int)
        self.cut = np.zeros(instance.n_facilities)
        self.member: dict[int, int] = {}
        self.requires: dict[int, list[int]] = {}
        self.required_by: dict[int, list[int]] = {}
        for project, prerequisite in instance.prerequisites:
            self.requires.setdefault(project, []).append(prerequisite)
            self.required_by.setdefault(prerequisite, []).append(project)

    def retired(self, f: int) -> bool:
        return bool(self.closed[f] or self.retiring[f])

    def bundle(self, project: int) -> list[int]:
        """The project and every prerequisite not yet chosen, transitively."""
        bundle, stack, seen = [], [project], {project}
        while stack:
            p = stack.pop()
            if not self.chosen[p]:
                bundle.append(p)
                for q in self.requires.get(p, []):
                    if q not in seen:
                        seen.add(q)
                        stack.append(q)
        return bundle

    def price(self, add: Sequence[int], drop: Sequence[int] = ()) -> float | None:
        """Capex the change takes from the budget, or None if it breaks a rule or does not fit."""
        instance, chosen = self.instance, self.chosen
        adding, dropping = set(add), set(drop)
        if adding & dropping or any(chosen[q] or self.blocked[q] for q in adding) \
                or not all(chosen[d] for d in dropping):
            return None
        groups: set[int] = set()
        for q in adding:
            g = int(instance.group_of[q])
            if g >= 0:
                if g in groups or self.member.get(g, -1) not in (-1, *dropping):
                    return None
                groups.add(g)
        for q in adding:
            for r in self.requires.get(q, []):
                if r in dropping or not (chosen[r] or r in adding):
                    return None
        for d in dropping:
            if any(chosen[r] and r not in dropping for r in self.required_by.get(d, [])):
                return None
        count: dict[int, int] = {}
        retiring: dict[int, int] = {}
        for q, sign in itertools.chain(((q, 1) for q in adding), ((d, -1) for d in dropping)):
            f = int(instance.facility[q])
            count[f] = count.get(f, int(self.count[f])) + sign
            retiring[f] = retiring.get(f, int(self.retiring[f])) + sign * bool(instance.retire[q])
        for f, n in count.items():
            if retiring[f] > 1 or (retiring[f] == 1 and n > 1):
                return None
            if self.closed[f] and self.retiring[f] and not retiring[f]:
                return None  # a line closed by order keeps its retirement (a swap in its group may not drop it)
        pay = self.pay
        cost = float(sum(pay[q] for q in adding) - sum(pay[d] for d in dropping))
        if self.spent + cost > self.budget + TOLERANCE:
            return None
        return cost

    def effect(self, add: Sequence[int], drop: Sequence[int] = ()) -> dict[int, tuple[float, bool]]:
        """Facilities the change touches: their summed reduction and retired flag after it."""
        instance = self.instance
        after: dict[int, tuple[float, bool]] = {}
        for q, sign in itertools.chain(((q, 1) for q in add), ((d, -1) for d in drop)):
            f = int(instance.facility[q])
            cut, retired = after.get(f, (float(self.cut[f]), self.retired(f)))
            if instance.retire[q]:
                retired = sign > 0 or bool(self.closed[f])
            after[f] = (cut + sign * float(instance.reduction[q]), retired)
        return after

    def apply(self, add: Sequence[int], drop: Sequence[int], cost: float) -> None:
        instance = self.instance
        for q, sign in itertools.chain(((q, 1) for q in add), ((d, -1) for d in drop)):
            f = int(instance.facility[q])
            self.chosen[q] = sign > 0
            self.count[f] += sign
            self.retiring[f] += sign * bool(instance.retire[q])
            self.cut[f] += sign * float(instance.reduction[q])
            g = int(instance.group_of[q])
            if g >= 0:
                if sign > 0:
                    self.member[g] = int(q)
                elif self.member.get(g) == q:
                    del self.member[g]
        self.spent += cost

    def try_change(self, add: Sequence[int], drop: Sequence[int] = ()) -> bool:
        cost = self.price(add, drop)
        if cost is None:
            return False
        self.apply(add, drop, cost)
        return True

    def fund_closures(self, closures: list[TimedClosure]) -> bool:
        """Choose one listed retirement row of each line closed by order, cheapest first; False if one cannot be."""
        instance = self.instance
        for closure in closures:
            rows = [int(p) for p in instance.projects_of[closure.facility] if instance.retire[p]]
            if not rows or self.retiring[closure.facility]:
                continue
            rows.sort(key=lambda p: (self.pay[p], -instance.co2[p], p))
            if not any(self.try_change(self.bundle(p)) for p in rows):
                return False
        return True

    def step(self, step: Step, guard: Callable[[list[int], list[int]], bool] | None = None,
             before_apply: Callable[[dict[int, tuple[float, bool]]], None] | None = None) -> bool:
        """Take a MAC step from wherever its group stands.

        ``guard(add, drop)`` may veto it; ``before_apply(effect)`` hears of it
        before the portfolio changes.
        """
        instance = self.instance
        drop: list[int] = []
        g = int(instance.group_of[step.project])
        if g >= 0 and g in self.member:
            current = self.member[g]
            if current == step.project or instance.co2[current] >= instance.co2[step.project]:
                return False
            drop = [current]
        if self.chosen[step.project]:
            return False
        add = self.bundle(step.project)
        cost = self.price(add, drop)
        if cost is None or (guard is not None and not guard(add, drop)):
            return False
        if before_apply is not None:
            before_apply(self.effect(add, drop))
        self.apply(add, drop, cost)
        return True

    def result(self, targets: list[Target], margin: float, feasible: bool, message: str = "") -> Pick:
        chosen = self.chosen.copy()
        horizon, year = self.question.horizon, self.question.horizon.last
        outcomes = evaluate_targets(self.instance, targets, horizon, np.where(chosen, year, 0), year, margin,
                                    self.question.closures)
        broken = tuple(t.target_id for t in outcomes if t.binding and not t.met)
        return Pick(chosen, float(self.pay[chosen].sum()), float(self.instance.co2[chosen].sum()), feasible,
                    broken, message)


@dataclass(frozen=True)
class _Timed:
    """The single-year question the comparators answer: its horizon, its closures, the projects in time."""

    horizon: Horizon
    closures: list[TimedClosure]
    available: np.ndarray


def _timed(instance: Instance, targets: Sequence[Target], as_of: AsOf | None) -> _Timed:
    horizon = (as_of or AsOf.of()).horizon()
    closures = timed_closures(instance, [t for t in targets if t.enabled], horizon)
    return _Timed(horizon, closures, project_timing(instance, horizon).first_service <= horizon.last)


def _start(instance: Instance, budget: float | None, targets: Sequence[Target], options: PolicyOptions,
           as_of: AsOf | None) -> tuple[list[Target], _Timed, _Portfolio, bool]:
    enabled = [t for t in targets if t.enabled]
    question = _timed(instance, enabled, as_of)
    portfolio = _Portfolio(instance, budget, question, options)
    funded = portfolio.fund_closures(question.closures)
    return enabled, question, portfolio, funded


_UNFUNDED = ("the retirements of the lines closed by order do not fit the budget or break a rule of the list")


def _excluded(instance: Instance, question: _Timed) -> np.ndarray:
    """Projects the MAC steps leave out: everything on a line closed by order (its retirement is funded first),
    and what cannot be in service by the as-of year."""
    return closed_mask(instance, question.closures)[instance.facility] | ~question.available


def mac_pick(instance: Instance, budget: float | None, targets: Sequence[Target] = (), *,
             rate: float = DEFAULT_DISCOUNT_RATE, options: PolicyOptions = PolicyOptions(),
             steps: list[Step] | None = None, as_of: AsOf | None = None) -> Pick:
    """The MAC curve funded down to the budget (万元): abatement-cost order, upgrades by increments.

    ``targets`` are used for the closures by order (and to report what the
    pick breaks); the pick itself ignores them. ``steps`` may be passed to
    reuse :func:`mac_steps` across budgets (it must be built with the same
    closures and rate).
    """
    enabled, question, portfolio, funded = _start(instance, budget, targets, options, as_of)
    if not funded:
        return portfolio.result(enabled, options.margin, False, _UNFUNDED)
    for step in steps if steps is not None else mac_steps(instance, rate, _excluded(instance, question)):
        portfolio.step(step)
    return portfolio.result(enabled, options.margin, True)


# --- the greedy that meets the targets ------------------------------------------


class _Shares:
    """The share targets' weighted numerators and denominators, for the portfolio as it grows."""

    def __init__(self, instance: Instance, targets: list[Target], margin: float, portfolio: _Portfolio) -> None:
        self.instance, self.portfolio = instance, portfolio
        self.targets = [t for t in targets if kind_of(t.kind).level is not None]
        self.level = [getattr(instance, str(kind_of(t.kind).level)) for t in self.targets]
        self.weight = [instance.weights(t.weight) for t in self.targets]
        self.required = np.array([kind_of(t.kind).required(t, margin) for t in self.targets])
        self.of_facility: list[list[int]] = [[] for _ in range(instance.n_facilities)]
        self.num = np.zeros(len(self.targets))
        self.den = np.zeros(len(self.targets))
        for k, target in enumerate(self.targets):
            for f in np.flatnonzero(instance.covered(target.products)):
                self.of_facility[int(f)].append(k)
                running, at = self._terms(k, int(f), float(portfolio.cut[f]), portfolio.retired(int(f)))
                self.den[k] += running
                self.num[k] += at

    def _terms(self, k: int, f: int, cut: float, retired: bool) -> tuple[float, float]:
        if retired:
            return 0.0, 0.0
        w = float(self.weight[k][f])
        return w, (w if self.instance.intensity[f] - cut <= self.level[k][f] + LEVEL_TOLERANCE else 0.0)

    def missing(self, num: np.ndarray | None = None, den: np.ndarray | None = None) -> np.ndarray:
        """Per target: share points (fraction) still missing; 0 when met or nothing is left to measure."""
        num = self.num if num is None else num
        den = self.den if den is None else den
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)
        missing = self.required - share
        return np.where(missing > TOLERANCE, missing, 0.0)

    def after(self, effect: dict[int, tuple[float, bool]]) -> tuple[np.ndarray, np.ndarray]:
        num, den = self.num.copy(), self.den.copy()
        portfolio = self.portfolio
        for f, (cut, retired) in effect.items():
            for k in self.of_facility[f]:
                old = self._terms(k, f, float(portfolio.cut[f]), portfolio.retired(f))
                new = self._terms(k, f, cut, retired)
                den[k] += new[0] - old[0]
                num[k] += new[1] - old[1]
        return num, den

    def gain(self, add: Sequence[int], drop: Sequence[int] = ()) -> float:
        """Share points the change removes from the total still missing (negative: it sets the targets back)."""
        num, den = self.after(self.portfolio.effect(add, drop))
        return float(self.missing().sum() - self.missing(num, den).sum())

    def harmless(self, add: Sequence[int], drop: Sequence[int] = ()) -> bool:
        """The change misses no target by more than before."""
        num, den = self.after(self.portfolio.effect(add, drop))
        return bool((self.missing(num, den) <= self.missing() + TOLERANCE).all())

    def commit(self, effect: dict[int, tuple[float, bool]]) -> None:
        self.num, self.den = self.after(effect)


def _facility_moves(portfolio: _Portfolio, shares: _Shares, f: int) -> list[tuple[list[int], list[int]]]:
    """Moves that help facility ``f`` toward its targets: each retirement, and the cheapest way to each level."""
    instance = portfolio.instance
    if portfolio.retired(f) or not shares.of_facility[f]:
        return []
    moves: list[tuple[list[int], list[int]]] = [(portfolio.bundle(int(p)), []) for p in instance.projects_of[f]
             if instance.retire[p] and not portfolio.chosen[p] and not portfolio.blocked[p]]
    now = instance.intensity[f] - portfolio.cut[f]
    levels = sorted({float(shares.level[k][f]) for k in shares.of_facility[f]})
    for level in levels:
        if not is_at_level(now, level):
            move = _cheapest_to_level(portfolio, f, level)
            if move is not None:
                moves.append(move)
    return moves


def _cheapest_to_level(portfolio: _Portfolio, f: int, level: float) -> tuple[list[int], list[int]] | None:
    """The least-capex set of projects to add on ``f`` (switching a group's member if need be) to reach ``level``."""
    instance = portfolio.instance
    candidates = [int(p) for p in instance.projects_of[f] if not portfolio.chosen[p] and not portfolio.blocked[p]
                  and not instance.retire[p] and instance.reduction[p] > 0]
    if not candidates:
        return None
    slots: dict[int, list[int]] = {}  # group (or -1-p for a loose project) -> options, -1 = leave as is
    for p in candidates:
        g = int(instance.group_of[p])
        slots.setdefault(g if g >= 0 else -1 - p, [-1]).append(p)
    options = list(slots.values())
    combos: Iterable[tuple[int, ...]]
    if np.prod([len(o) for o in options], dtype=float) > MAX_COMBINATIONS:
        # too many: the deepest option of each slot, cheapest slots first, until the level is reached
        best = [max(o[1:], key=lambda p: (instance.reduction[p], -instance.capex[p])) for o in options]
        best.sort(key=lambda p: instance.capex[p] / instance.reduction[p])
        combos = [tuple(best[:n]) for n in range(1, len(best) + 1)]
    else:
        combos = (tuple(p for p in choice if p >= 0) for choice in itertools.product(*options))
    found, found_key = None, None
    for combo in combos:
        if not combo:
            continue
        add: list[int] = []
        for p in combo:
            add.extend(q for q in portfolio.bundle(p) if q not in add)
        drop = sorted({portfolio.member[int(instance.group_of[p])] for p in combo
                       if instance.group_of[p] >= 0 and int(instance.group_of[p]) in portfolio.member})
        cost = portfolio.price(add, drop)
        if cost is None:
            continue
        cut, retired = portfolio.effect(add, drop).get(f, (portfolio.cut[f], portfolio.retired(f)))
        if retired or not is_at_level(instance.intensity[f] - cut, level):
            continue
        key = (cost, -float(instance.co2[add].sum() - instance.co2[drop].sum()))
        if found_key is None or key < found_key:
            found, found_key = (add, drop), key
    return found


def greedy_pick(instance: Instance, budget: float | None, targets: Sequence[Target], *,
                rate: float = DEFAULT_DISCOUNT_RATE, options: PolicyOptions = PolicyOptions(),
                steps: list[Step] | None = None, as_of: AsOf | None = None) -> Pick:
    """Meet the share targets at the least capex per missing share point, then fill the budget in MAC order.

    Lines closed by order are funded first. Moves are re-evaluated lazily
    (a move is taken when its up-to-date capex per share point is still the
    best on the heap). ``Pick.broken_targets`` lists what the budget could
    not meet.
    """
    enabled, question, portfolio, funded = _start(instance, budget, targets, options, as_of)
    if not funded:
        return portfolio.result(enabled, options.margin, False, _UNFUNDED)
    shares = _Shares(instance, enabled, options.margin, portfolio)
    version = np.zeros(instance.n_facilities, dtype=int)
    heap: list = []
    tie = itertools.count()

    def push(f: int) -> None:
        for add, drop in _facility_moves(portfolio, shares, f):
            gain = shares.gain(add, drop)
            cost = portfolio.price(add, drop)
            if gain > TOLERANCE and cost is not None:
                heapq.heappush(heap, (cost / gain, next(tie), f, int(version[f]), add, drop))

    if shares.missing().sum() > TOLERANCE:
        for f in range(instance.n_facilities):
            push(f)
    while heap and shares.missing().sum() > TOLERANCE:
        _, _, f, seen, add, drop = heapq.heappop(heap)
        if seen != version[f]:
            continue
        cost, gain = portfolio.price(add, drop), shares.gain(add, drop)
        if cost is None or gain <= TOLERANCE:
            continue
        if heap and cost / gain > heap[0][0] + TOLERANCE:
            heapq.heappush(heap, (cost / gain, next(tie), f, seen, add, drop))  # stale: back in line
            continue
        effect = portfolio.effect(add, drop)
        shares.commit(effect)
        portfolio.apply(add, drop, cost)
        touched = set(effect)
        for q in add:
            touched.update(int(instance.facility[r]) for r in portfolio.required_by.get(q, []))
        for t in touched:
            version[t] += 1
            push(t)
    for step in steps if steps is not None else mac_steps(instance, rate, _excluded(instance, question)):
        portfolio.step(step, guard=shares.harmless, before_apply=shares.commit)
    pick = portfolio.result(enabled, options.margin, True)
    if pick.broken_targets:
        pick = Pick(pick.chosen, pick.spend, pick.co2_t, True, pick.broken_targets,
                    "the greedy cannot meet " + ", ".join(pick.broken_targets) + " within the budget")
    return pick


def comparator_steps(instance: Instance, targets: Sequence[Target], rate: float = DEFAULT_DISCOUNT_RATE,
                     as_of: AsOf | None = None) -> list[Step]:
    """The MAC steps both comparators use on this list, targets and as-of year (once for many budgets)."""
    return mac_steps(instance, rate, _excluded(instance, _timed(instance, targets, as_of)))


def steps_table(instance: Instance, steps: list[Step]) -> pd.DataFrame:
    """The MAC curve as a table: project, the alternative it replaces, incremental CO2, capex and cost per tCO2."""
    return pd.DataFrame({
        "project_id": [str(instance.project_ids[s.project]) for s in steps],
        "replaces": [str(instance.project_ids[s.replaces]) if s.replaces >= 0 else "" for s in steps],
        "co2_t": [s.co2_t for s in steps], "capex": [s.capex for s in steps],
        "cost_cny_per_t": [s.cost_cny_per_t for s in steps],
    })
