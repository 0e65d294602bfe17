"""Sweeps: a grid of scenarios (budgets x target variants x draws) solved through one executor interface.

Frontiers times draws times target variants reach thousands of solves. Each
solve is independent, so they are dealt out in batches to an *executor*:

* :class:`LocalPool` (default): a ``concurrent.futures.ProcessPoolExecutor``
  on this machine; the instance is handed to each worker once, by its
  initializer, not with every batch;
* :class:`DaskCluster`: a running Dask ``distributed`` scheduler
  (``tcp://host:port``), through ``Client.scatter`` (the instance, once per
  worker) and ``Client.submit``/``gather`` (the batches). No scheduler of our
  own: Dask's handles placement, retries and lost workers.

Both run the same top-level function, :func:`run_batch`, so a scenario's
result does not depend on where it ran (the test compares them). HiGHS gets
one thread per solve (``threads=1`` unless set): the parallelism is across
solves, and nested thread pools would only fight for the cores.

Results go to Parquet or DuckDB (:func:`write_results`, by file extension),
independent of the app's store; :func:`load_results` reads either back.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from optimizer.answers.uncertainty import Spreads, draw_projects
from optimizer.data.dataset import Target
from optimizer.data.instance import Instance, reductions
from optimizer.program.horizon import AsOf
from optimizer.program.scenarios import intensity_reductions
from optimizer.solving.solve import SolverSettings, optimize

if TYPE_CHECKING:  # imported where used: only a Dask sweep needs it
    from distributed import Client


@dataclass(frozen=True)
class Scenario:
    """One solve of the grid: a budget (万元), a named target variant, and a draw seed (None: the estimates)."""

    budget: float
    targets: str = "plan"
    draw: int | None = None


@dataclass(frozen=True)
class SweepInput:
    """What every scenario shares; sent to each worker once."""

    instance: Instance
    target_variants: dict[str, list[Target]]
    spreads: Spreads | None
    settings: SolverSettings
    as_of: AsOf | None = None


def scenario_grid(budgets: Iterable[float], target_variants: Iterable[str] = ("plan",),
                  draws: Iterable[int | None] = (None,)) -> list[Scenario]:
    """Every combination, budgets varying fastest within a variant and draw (a frontier per pair)."""
    return [Scenario(float(b), t, d) for t, d, b in itertools.product(list(target_variants), list(draws), budgets)]


def target_variants(targets: Sequence[Target], names: Iterable[str]) -> dict[str, list[Target]]:
    """Named target sets: ``plan`` (all), ``none``, ``without:<target_id>`` (all but one)."""
    variants: dict[str, list[Target]] = {}
    known = {t.target_id for t in targets}
    for name in names:
        if name == "plan":
            variants[name] = list(targets)
        elif name == "none":
            variants[name] = []
        elif name.startswith("without:") and name.split(":", 1)[1] in known:
            dropped = name.split(":", 1)[1]
            variants[name] = [t for t in targets if t.target_id != dropped]
        else:
            raise ValueError(f"unknown target variant {name!r}: use plan, none or without:<target_id> "
                             f"({', '.join(sorted(known)) or 'no targets'})")
    return variants


def drawn_instance(instance: Instance, spreads: Spreads, seed: int) -> Instance:
    """The instance as one draw realises it: CO2 cuts and intensity reductions scaled per project.

    The reduction is scaled, not the intensity after, so a draw keeps the
    contract's additive reading: after = intensity - factor x reduction.
    """
    positions = np.arange(instance.n_projects)
    co2, factor = draw_projects(spreads, positions, 1, seed)
    reduction = intensity_reductions(instance)
    scaled_after = instance.intensity[instance.facility] - factor[0] * reduction
    after = np.where(np.isnan(instance.intensity_after), np.nan, scaled_after)
    drawn_after = np.where(instance.retire, instance.intensity_after, after)
    return replace(instance, co2=co2[0], intensity_after=drawn_after,
                   reduction=reductions(instance.intensity[instance.facility], drawn_after, instance.retire))


def run_batch(shared: SweepInput, scenarios: Sequence[Scenario]) -> list[dict]:
    """Solve each scenario of a batch; one result row each (the function every executor runs)."""
    rows = []
    for scenario in scenarios:
        instance = shared.instance
        if scenario.draw is not None:
            if shared.spreads is None:
                raise ValueError("a scenario with a draw needs the spreads")
            instance = drawn_instance(instance, shared.spreads, scenario.draw)
        targets = shared.target_variants[scenario.targets]
        result = optimize(instance, budget=scenario.budget, targets=targets, settings=shared.settings,
                          as_of=shared.as_of)
        gap = result.gap if result.gap is not None and math.isfinite(result.gap) else None
        rows.append({**asdict(scenario), "status": result.status,
                     "co2_reduction_t": result.co2_reduction_t if result.has_portfolio else None,
                     "spend": result.spend if result.has_portfolio else None, "gap": gap,
                     "projects": len(result.selected), "selected": ";".join(result.selected),
                     "solve_seconds": result.solve_seconds})
    return rows


# --- executors ---------------------------------------------------------------------


class Executor(Protocol):
    """Runs :func:`run_batch` over batches and returns their rows in batch order."""

    workers: int

    def run(self, shared: SweepInput, batches: list[list[Scenario]]) -> list[list[dict]]: ...


_SHARED: SweepInput | None = None


def _install(shared: SweepInput) -> None:
    global _SHARED
    _SHARED = shared


def _run_installed(batch: list[Scenario]) -> list[dict]:
    assert _SHARED is not None, "worker started without the sweep input"
    return run_batch(_SHARED, batch)


class LocalPool:
    """A process pool on this machine (spawned workers: no fork of a process that has run HiGHS threads)."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, shared: SweepInput, batches: list[list[Scenario]]) -> list[list[dict]]:
        with ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_install,
                                 initargs=(shared,)) as pool:
            return list(pool.map(_run_installed, batches))


class DaskCluster:
    """A Dask ``distributed`` cluster: by scheduler address, or an existing ``distributed.Client``.

    The workers must be able to import :mod:`optimizer` (run them from the
    project folder, or with it on ``PYTHONPATH``).
    """

    def __init__(self, address: str | None = None, client: Client | None = None) -> None:
        from distributed import Client

        self._own = client is None
        self.client = client if client is not None else Client(address)
        self.workers = max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def run(self, shared: SweepInput, batches: list[list[Scenario]]) -> list[list[dict]]:
        data = self.client.scatter(shared, broadcast=True)
        futures = [self.client.submit(run_batch, data, batch, pure=False) for batch in batches]
        return self.client.gather(futures)

    def close(self) -> None:
        if self._own:
            self.client.close()


def sweep(instance: Instance, *, scenarios: Sequence[Scenario], target_variants: dict[str, list[Target]],
          spreads: Spreads | None = None, settings: SolverSettings = SolverSettings(threads=1),
          executor: Executor | None = None, batch_size: int | None = None,
          as_of: AsOf | None = None) -> pd.DataFrame:
    """Solve every scenario through ``executor`` (a :class:`LocalPool` by default); one row per scenario.

    Columns: ``budget``, ``targets``, ``draw``, ``status``,
    ``co2_reduction_t``, ``spend``, ``gap``, ``projects``, ``selected``
    (``;``-joined ids) and ``solve_seconds``, in the order of ``scenarios``.
    Batches default to about four per worker, so a slow batch does not
    leave the others idle for long, while each task still amortises its
    scheduling cost over several solves.
    """
    missing = {s.targets for s in scenarios} - set(target_variants)
    if missing:
        raise ValueError(f"scenarios name target variants not given: {', '.join(sorted(missing))}")
    if settings.threads is None:
        settings = replace(settings, threads=1)
    executor = executor or LocalPool()
    shared = SweepInput(instance, target_variants, spreads, settings, as_of or AsOf.of())
    size = batch_size or max(1, math.ceil(len(scenarios) / (4 * executor.workers)))
    batches = [list(scenarios[i:i + size]) for i in range(0, len(scenarios), size)]
    began = time.perf_counter()
    rows = [row for batch in executor.run(shared, batches) for row in batch] if batches else []
    table = pd.DataFrame(rows, columns=["budget", "targets", "draw", "status", "co2_reduction_t", "spend", "gap",
                                        "projects", "selected", "solve_seconds"])
    table.attrs["seconds"] = time.perf_counter() - began
    return table


# --- storage -----------------------------------------------------------------------


def write_results(table: pd.DataFrame, path: Path | str) -> Path:
    """Write the sweep to a ``.parquet`` file (the app's store can take it in: ``storage.sweeps``)."""
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        raise ValueError(f"{path}: write sweep results to a .parquet file")
    table.astype({"draw": "Int64"}).to_parquet(path, index=False)
    return path


def load_results(path: Path | str) -> pd.DataFrame:
    """Read a sweep written by :func:`write_results`."""
    return pd.read_parquet(Path(path))
