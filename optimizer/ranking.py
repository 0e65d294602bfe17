"""The classic pick: rank projects on CO2 per 万元 and fund down the list.

This is what a marginal-abatement-cost curve does. It is fast and easy to
explain, but it ignores the plan's targets; the frontier compares against it
to show what that costs. The pick still respects the project list's own
logic (alternatives, prerequisites, retirements) so the comparison is fair.
"""

from __future__ import annotations

import numpy as np

from .instance import Instance


def rank_by_co2_per_capex(instance: Instance) -> np.ndarray:
    """Project positions, best tCO2 per 万元 first (free projects first of all)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(instance.capex > 0, instance.co2 / instance.capex, np.inf)
    ratio = np.where(instance.co2 > 0, ratio, -np.inf)
    return np.argsort(-ratio, kind="stable")


def mac_pick(instance: Instance, budget: float, order: np.ndarray | None = None) -> np.ndarray:
    """Fund projects down the ranking while money lasts; returns a bool per project.

    A project comes with its unchosen prerequisites as one bundle; a bundle is
    skipped if it does not fit the money left, takes a second project of an
    exclusive group, or touches a retired facility.
    """
    order = rank_by_co2_per_capex(instance) if order is None else order
    chosen = np.zeros(instance.n_projects, dtype=bool)
    group_of = instance.group_of
    requires: dict[int, list[int]] = {}
    for project, prerequisite in instance.prerequisites:
        requires.setdefault(project, []).append(prerequisite)
    used_groups: set[int] = set()
    busy = np.zeros(len(instance.facility_ids), dtype=bool)  # has a chosen project
    retired = np.zeros(len(instance.facility_ids), dtype=bool)
    left = budget
    for p in order:
        if chosen[p] or instance.co2[p] <= 0:
            continue
        bundle = _bundle(int(p), requires, chosen)
        cost = instance.capex[bundle].sum()
        if cost > left + 1e-9 or not _compatible(instance, bundle, group_of, used_groups, busy, retired):
            continue
        for q in bundle:
            chosen[q] = True
            busy[instance.facility[q]] = True
            if instance.retire[q]:
                retired[instance.facility[q]] = True
            if group_of[q] >= 0:
                used_groups.add(int(group_of[q]))
        left -= cost
    return chosen


def _bundle(project: int, requires: dict[int, list[int]], chosen: np.ndarray) -> list[int]:
    """The project and every prerequisite not yet chosen, transitively."""
    bundle, stack, seen = [], [project], {project}
    while stack:
        p = stack.pop()
        if not chosen[p]:
            bundle.append(p)
        for q in requires.get(p, []):
            if q not in seen:
                seen.add(q)
                stack.append(q)
    return bundle


def _compatible(instance: Instance, bundle: list[int], group_of: np.ndarray, used_groups: set[int],
                busy: np.ndarray, retired: np.ndarray) -> bool:
    groups = [int(group_of[q]) for q in bundle if group_of[q] >= 0]
    if len(groups) != len(set(groups)) or any(g in used_groups for g in groups):
        return False
    facilities = {int(instance.facility[q]) for q in bundle}
    if any(retired[f] for f in facilities):
        return False
    retiring = {int(instance.facility[q]) for q in bundle if instance.retire[q]}
    others_on_retiring = any(int(instance.facility[q]) in retiring and not instance.retire[q] for q in bundle)
    return not others_on_retiring and not any(busy[f] for f in retiring) and \
        sum(bool(instance.retire[q]) for q in bundle) <= len(retiring)
