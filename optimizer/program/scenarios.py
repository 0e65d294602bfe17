"""The building blocks of scenario rows: the robust pick writes each target in each drawn scenario on them.

A scenario scales every project's nominal intensity reduction by its drawn
factor; a facility is at a level in a scenario when its realised reductions
close the distance (see :func:`scenario_at_level`). The target kinds write
their own scenario rows on these blocks (:mod:`optimizer.program.kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from optimizer.data.instance import Instance
from optimizer.program.model import RetrofitModel

LEVEL_TOLERANCE = 1e-9  #: as :func:`optimizer.data.dataset.is_at_level`


def intensity_reductions(instance: Instance) -> np.ndarray:
    """Each project's nominal intensity reduction: facility intensity - intensity after (blank = 0)."""
    after = instance.intensity_after
    reduction = instance.intensity[instance.facility] - after
    return np.where(np.isnan(after) | instance.retire, 0.0, reduction)


@dataclass
class ScenarioRows:
    """The variables the scenario rows are written in: one 'all targets met' flag per scenario."""

    met: list[pulp.LpVariable]
    retired: dict[int, pulp.LpAffineExpression]


def reduction_bounds(instance: Instance, factor: np.ndarray, f: int) -> tuple[np.ndarray, np.ndarray]:
    """Projects acting on facility f, and their realised reductions (scenarios x projects)."""
    reduction = intensity_reductions(instance)
    projects = np.flatnonzero((instance.facility == f) & (reduction != 0))
    return projects, factor[:, projects] * reduction[projects]


def scenario_at_level(model: RetrofitModel, rows: ScenarioRows, f: int, s: int, level: float,
                       factor: np.ndarray, cache: dict) -> pulp.LpVariable | pulp.LpAffineExpression:
    """1 only if facility f is running and at ``level`` in scenario s (its reductions summed, as drawn).

    A binary ``a`` with ``sum r_ps x_p >= need * a + low * (1 - a)``, where
    ``need`` is how far the facility is above the level and ``low`` the
    least the sum can be (its negative reductions): ``a = 1`` forces the
    reductions to close the distance; ``a = 0`` leaves the row slack.
    """
    key = ("level", f, s, level)
    if key in cache:
        return cache[key]
    instance = model.instance
    need = float(instance.intensity[f] - level - LEVEL_TOLERANCE)
    projects, realised = reduction_bounds(instance, factor, f)
    running = 1 - rows.retired[f] if f in rows.retired else pulp.LpAffineExpression(constant=1)
    low = float(np.minimum(realised[s], 0).sum()) if len(projects) else 0.0
    high = float(np.maximum(realised[s], 0).sum()) if len(projects) else 0.0
    if need <= low:  # at the level whatever is chosen
        cache[key] = running
        return running
    if need > high:  # cannot reach it in this draw
        cache[key] = pulp.LpAffineExpression()
        return cache[key]
    flag = model.problem.add_variable(f"at_level_{f}_{s}_{len(cache)}", cat=pulp.LpBinary)
    scale = max(abs(need), abs(low), 1e-12)
    summed = pulp.LpAffineExpression(zip([model.choose[p] for p in projects], (realised[s] / scale).tolist()))
    model.add(summed - (need - low) / scale * flag >= low / scale, f"reached_{f}_s{s}_{len(cache)}")
    if f in rows.retired:
        model.add(flag + rows.retired[f] <= 1, f"running_{f}_s{s}_{len(cache)}")
    cache[key] = flag
    return flag
