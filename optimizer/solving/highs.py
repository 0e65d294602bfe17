"""HiGHS for large project lists: the model handed over in bulk, and a core search first.

Two things make PuLP's own HiGHS adapter slow on a province-wide list:

* it hands the model over one column and one row at a time, each a call
  from Python into C++; :class:`BulkHiGHS` makes three array calls instead;
* HiGHS spends most of its time looking for a first good portfolio, although
  a relaxation of this model is tight: almost every project is settled in
  it, and only a few facilities are really in doubt.

So, for lists of :data:`CORE_MIN_PROJECTS` projects or more, the adapter
takes a bound on the best portfolio, then solves the MIP over the *core*:
the projects in doubt, every other one held where the relaxation puts it
(the classic core method for knapsack problems). If the core's portfolio is
within the gap tolerance of the bound it is proven good enough and
returned, with that bound. The bound comes first from
:mod:`optimizer.solving.lagrange` when the caller priced one (a second on 100,000
projects), then, if no core proves, from the LP relaxation; a core
portfolio that neither proves starts the full search. The model itself is
never changed: the result is the same model's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pulp

if TYPE_CHECKING:  # imported where used: HiGHS loads only when a model is solved
    import highspy

#: Below this size the full search is fast and the LP bound too loose to prove anything.
CORE_MIN_PROJECTS = 5_000
#: A roadmap's (project, year) choices make the full search harder: its core search starts at this many choices.
#: Measured on 600-1,200 projects x 5 years of each family (benchmarks/RESULTS.md): 21.6 s in all against 43.3 s,
#: the worst 8.5 s against 30 s unproven (classic, 1,000 x 5).
ROADMAP_CORE_MIN_CHOICES = 2_000
#: Projects in most doubt that seed the core, as a share of all (at least CORE_MIN_SIZE); their facilities
#: enter the core whole. Grown CORE_GROWTH-fold while the core proves nothing: a core MIP's time grows
#: faster than its size, and a first core that just misses its proof needs only a little more (dense
#: family, 10,000 projects: solve 0.65 s growing threefold, 0.37 s by half; no other family or size of
#: benchmarks/RESULTS.md changed, roadmaps included).
CORE_SHARE = 0.005
CORE_MIN_SIZE = 300
CORE_GROWTH = 1.5
#: HiGHS's MIP feasibility tolerance in core runs (its default is 1e-6). Budget rows are scaled to 1, so the
#: default let a core portfolio overspend by a millionth of the budget, and each such hair cost a money
#: repair: a second core run (dense family, roadmap 10,000 x 5: 12.4 s in all against 6.6 s with this).
CORE_FEASIBILITY_TOLERANCE = 1e-9
#: A core portfolio within this many gap tolerances of the LP bound goes straight to the full search as its start.
CORE_NEAR = 5.0


@dataclass(frozen=True)
class Relaxation:
    """A bound on the best portfolio (HiGHS's minimisation sense) and how much each choice is in doubt.

    ``values``: each choice's value in the relaxation (0/1 when it is
    settled); ``doubt``: the lower, the more in doubt (|reduced cost|, or a
    facility's efficiency distance, see :func:`optimizer.solving.lagrange.lagrangian_bound`);
    ``unsettled``: facilities that enter every core whole. ``name`` says
    which bound it is, for the result's message.
    """

    bound: float
    values: np.ndarray
    doubt: np.ndarray
    unsettled: np.ndarray
    name: str = "LP"


class CoreRun(NamedTuple):
    """One MIP run with some choices held: its best portfolio, its objective and what it held."""

    values: np.ndarray
    objective: float
    fixing: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class CoreProof:
    """A portfolio from the core search proven within the gap by a bound (HiGHS's minimisation sense)."""

    values: np.ndarray
    objective: float
    bound: float
    gap: float
    by: str
    fixing: tuple[np.ndarray, np.ndarray]  # the choices held (columns, values) in the run that proved


def _check(status: highspy.HighsStatus, what: str) -> None:
    """HiGHS refuses, rather than raises on, a model it cannot take (e.g. coefficients beyond 1e15)."""
    import highspy

    if status == highspy.HighsStatus.kError:
        raise pulp.PulpSolverError(f"HiGHS refused the model's {what} (numbers out of range)")


def large_enough_for_core_search(choices: int, roadmap: bool = False) -> bool:
    """Lists this long go through the core search (a bound first) rather than straight to the full search."""
    return choices >= (min(CORE_MIN_PROJECTS, ROADMAP_CORE_MIN_CHOICES) if roadmap else CORE_MIN_PROJECTS)


def _gap(objective: float, bound: float) -> float:
    """Relative gap of a portfolio's objective above a bound (HiGHS minimises)."""
    return (objective - bound) / max(abs(objective), 1e-9)


class BulkHiGHS(pulp.HiGHS):
    """PuLP's in-process HiGHS with bulk model transfer and the core search.

    Parameters
    ----------
    choices:
        The binary project variables (the core search fixes some of them).
    facilities:
        The facility of each choice: a facility in doubt enters the core with
        all its projects, so alternatives are weighed against each other.
    flags:
        (at-level flag variable, facility) pairs: a facility whose flag is
        fractional in the LP enters the core too.
    first_choice:
        A feasible choice (0/1 per choice) to start from, e.g. the previous
        point of a frontier; HiGHS completes the other variables.
    priced:
        A bound computed without the LP (:mod:`optimizer.solving.lagrange`): its cores
        are searched first, and the LP is solved only if none proves.
    roadmap:
        The choices are (project, in-service year). Three things differ:

        * the core search starts at :data:`ROADMAP_CORE_MIN_CHOICES`;
        * it fixes only the choices at 0 outside the core: the yearly budgets
          leave no room for a core beside LP-chosen projects pinned to their
          years (the core was infeasible at every size), so those stay free to
          move later or out;
        * the full search after a core search runs without presolve: on 10,000
          projects × 5 years HiGHS's MIP presolve ran 25 s before the root node
          (past the time limit, which it does not check there), while the root
          LP and its cuts without it prove the core's roadmap in a few seconds.
    """

    def __init__(self, *args: object, choices: list[pulp.LpVariable], facilities: np.ndarray | None = None,
                 first_choice: np.ndarray | None = None, core_search: bool = True,
                 flags: list[tuple[pulp.LpVariable, int]] | None = None, roadmap: bool = False,
                 priced: Relaxation | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.flags = flags or []
        self.flag_facilities: tuple[np.ndarray, np.ndarray] | None = None
        self.choices = choices
        self.core_search = core_search
        self.facilities = facilities
        self.first_choice = first_choice
        self.roadmap = roadmap
        self.priced = priced
        self.relaxed_bound: float | None = None  # the bound the last core search was judged against
        self.relaxed_name = "LP"
        self.proof: CoreProof | None = None
        self._began = time.perf_counter()
        self._integer = np.zeros(0, np.int32)
        self._bounds = (np.zeros(0), np.zeros(0))
        self._costs = np.zeros(0)
        self._variables: list[pulp.LpVariable] = []

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        import highspy

        variables = self._variables = lp.variables()
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        inf = highspy.kHighsInf
        costs = np.array([sign * lp.objective.get(v, 0.0) for v in variables], dtype=float)
        lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], dtype=float)
        upper = np.array([inf if v.upBound is None else v.upBound for v in variables], dtype=float)
        for i, variable in enumerate(variables):
            variable.index = i
        highs = lp.solverModel
        self._bounds = (lower, upper)
        self._costs = costs
        _check(highs.addCols(len(variables), costs, lower, upper, 0, np.zeros(1, np.int32), np.zeros(0, np.int32),
                             np.zeros(0, float)), "columns")
        self.flag_facilities = (np.array([v.index for v, _ in self.flags], dtype=np.int32),
                                np.array([f for _, f in self.flags], dtype=np.int64))
        integer = np.array([i for i, v in enumerate(variables) if v.cat == pulp.LpInteger], dtype=np.int32)
        self._integer = integer if self.mip else np.zeros(0, np.int32)
        self._set_integrality(highs, highspy.HighsVarType.kInteger)
        constraints = list(lp._constraints.values())
        starts: list[int] = []
        indices: list[int] = []
        values: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []
        for number, constraint in enumerate(constraints):
            constraint.index = number
            starts.append(len(indices))
            for variable, coefficient in constraint.items():
                if coefficient != 0:
                    indices.append(variable.index)
                    values.append(coefficient)
            low, up = constraint.getLb(), constraint.getUb()
            row_lower.append(-inf if low is None else low)
            row_upper.append(inf if up is None else up)
        if constraints:
            _check(highs.addRows(len(constraints), np.array(row_lower, float), np.array(row_upper, float),
                                 len(indices), np.array(starts, np.int32), np.array(indices, np.int32),
                                 np.array(values, float)), "rows")

    def actualSolve(self, lp: pulp.LpProblem) -> int:
        self._began = time.perf_counter()
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        highs = lp.solverModel
        self.proof = None
        if self.first_choice is not None:
            columns = np.array([v.index for v in self.choices], dtype=np.int32)
            highs.setSolution(len(columns), columns, np.asarray(self.first_choice, dtype=float))
        if self.core_search and large_enough_for_core_search(len(self.choices), self.roadmap) and len(self._integer):
            self.proof = self._core_search(highs)
        return self._finish(lp)

    def resolve(self, lp: pulp.LpProblem, rows: list[str]) -> int:
        """Solve again after the named rows' bounds changed in ``lp`` (a money repair), on the model built.

        A repair only tightens a budget, so the first proof's bound still
        holds: the core that proved the first portfolio is searched again
        under the new bounds, and if its portfolio is within the gap of that
        bound it is proven without a second LP. Otherwise the full search runs, as
        in :meth:`actualSolve`, with what is left of the time limit.
        """
        import highspy

        self._began = time.perf_counter()
        highs = lp.solverModel
        inf = highspy.kHighsInf
        for name in rows:
            row = lp.get_constraint_by_name(name)
            low, up = row.getLb(), row.getUb()
            _check(highs.changeRowBounds(row.index, -inf if low is None else low, inf if up is None else up),
                   f"row {name}")
        first, self.proof = self.proof, None
        highs.clearSolver()
        if first is not None:  # its bound holds for the tighter budget too
            self.proof = self._prove(highs, first.fixing, first.bound, first.by)
        return self._finish(lp)

    def _finish(self, lp: pulp.LpProblem) -> int:
        """The full search unless the core search proved its portfolio; the values written back into ``lp``."""
        highs = lp.solverModel
        if self.proof is None:
            self._spend_time_left(highs)
            if self.roadmap and self.relaxed_bound is not None:  # only after a core search
                highs.setOptionValue("presolve", "off")
            self.callSolver(lp)
            if not self._solution_matches_objective(highs):
                # Seen with highspy 1.16 after a start portfolio: the right objective reported with the start's
                # values (the closest portfolio cut 1 t where 3 t were proven). Solve again without the start.
                highs.clearSolver()
                self.callSolver(lp)
            status, solution_status = self.findSolutionValues(lp)
        else:
            for variable, value in zip(self._variables, self.proof.values.tolist()):
                variable.varValue = value
            status, solution_status = pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        lp.assignStatus(status, solution_status)
        return status

    def _solution_matches_objective(self, highs: highspy.Highs) -> bool:
        """The solution HiGHS hands back scores the objective it reports (or there is no solution to read)."""
        info = highs.getInfo()
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return True
        scored = float(self._costs @ np.asarray(highs.getSolution().col_value))
        return abs(scored - info.objective_function_value) <= 1e-7 * max(1.0, abs(info.objective_function_value))

    def _spend_time_left(self, highs: highspy.Highs) -> None:
        """Every run gets what is left of the time limit, not the whole of it again."""
        if self.timeLimit is not None:
            left = float(self.timeLimit) - (time.perf_counter() - self._began)
            highs.setOptionValue("time_limit", max(left, 0.01))

    def _set_integrality(self, highs: highspy.Highs, kind: highspy.HighsVarType) -> None:
        if len(self._integer):
            highs.changeColsIntegrality(len(self._integer), self._integer,
                                        np.full(len(self._integer), kind.value, dtype=np.uint8))

    def _core_search(self, highs: highspy.Highs) -> CoreProof | None:
        """A proof from the cores of the priced bound if given, else of the LP bound; None: the full search runs."""
        if self.priced is not None:
            proof = self._grow_cores(highs, self.priced)
            if proof is not None:
                return proof
        relaxation = self._lp_relaxation(highs)
        return None if relaxation is None else self._grow_cores(highs, relaxation, start_full_search=True)

    def _lp_relaxation(self, highs: highspy.Highs) -> Relaxation | None:
        """The LP relaxation's bound, values and reduced costs; None when HiGHS did not solve it."""
        import highspy

        self._set_integrality(highs, highspy.HighsVarType.kContinuous)
        self._spend_time_left(highs)
        highs.run()
        solved = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        relaxed = highs.getSolution()
        bound = highs.getInfo().objective_function_value
        self._set_integrality(highs, highspy.HighsVarType.kInteger)  # resets the status read above
        # A MIP run on an object that has just solved the LP can report the right objective with a
        # stale solution vector (seen with highspy 1.16): start every MIP run from a clear solver.
        highs.clearSolver()
        if not solved:
            return None
        columns = np.array([v.index for v in self.choices], dtype=np.int32)
        unsettled = np.zeros(0, np.int64)
        if self.flag_facilities is not None and len(self.flag_facilities[0]):
            # a facility whose level flag is fractional enters whole, even if its projects are 0/1 in the LP
            flag_values = np.asarray(relaxed.col_value)[self.flag_facilities[0]]
            unsettled = self.flag_facilities[1][(flag_values > 1e-6) & (flag_values < 1 - 1e-6)]
        return Relaxation(bound, np.asarray(relaxed.col_value)[columns], np.abs(np.asarray(relaxed.col_dual)[columns]),
                          unsettled)

    def _grow_cores(self, highs: highspy.Highs, relaxation: Relaxation,
                    start_full_search: bool = False) -> CoreProof | None:
        """The MIP over ever larger cores of the projects in most doubt, until one proves its portfolio.

        With ``start_full_search`` the best core portfolio that proved nothing is
        handed to the full search as its start.
        """
        import highspy

        bound, values, doubt = relaxation.bound, relaxation.values, relaxation.doubt
        self.relaxed_bound, self.relaxed_name = bound, relaxation.name
        columns = np.array([v.index for v in self.choices], dtype=np.int32)
        fractional = (values > 1e-6) & (values < 1 - 1e-6)
        gap_tolerance = self.gapRel if self.gapRel is not None else 1e-4
        highs.setOptionValue("mip_rel_gap", gap_tolerance / 2)
        size = max(CORE_MIN_SIZE, int(CORE_SHARE * len(columns)))
        proof: CoreProof | None = None
        best: CoreRun | None = None
        while proof is None and size <= 0.6 * len(columns):
            core = fractional.copy()
            core[np.argsort(doubt, kind="stable")[:size]] = True
            if self.facilities is not None:
                core |= np.isin(self.facilities, relaxation.unsettled)
                core |= np.isin(self.facilities, self.facilities[core])
            settled = ~core & (values < 0.5) if self.roadmap else ~core
            fixing = (columns[settled], np.round(values[settled]))
            found = self._core_mip(highs, fixing)
            if found is not None and (best is None or found.objective < best.objective):
                best = found
                if _gap(best.objective, bound) <= gap_tolerance:
                    proof = CoreProof(best.values, best.objective, bound, max(_gap(best.objective, bound), 0.0),
                                      relaxation.name, best.fixing)
            if start_full_search and best is not None and _gap(best.objective, bound) <= CORE_NEAR * gap_tolerance:
                # A portfolio near the bound that the bound cannot prove: the gap is the bound's more than
                # the portfolio's, and a larger core would not close it. The full search starts from it
                # instead: its presolve tightens the bound, usually proving it at the root.
                break
            size = max(size + 1, int(size * CORE_GROWTH))
        if start_full_search and proof is None and best is not None:
            start = highspy.HighsSolution()
            start.col_value = best.values.tolist()
            highs.setSolution(start)
        highs.setOptionValue("mip_rel_gap", gap_tolerance)
        return proof

    def _core_mip(self, highs: highspy.Highs, fixing: tuple[np.ndarray, np.ndarray]) -> CoreRun | None:
        """The MIP with the ``fixing`` (columns, values) held; its best portfolio, or None."""
        fixed, level = fixing
        highs.changeColsBounds(len(fixed), fixed, level, level)
        highs.clearSolver()
        self._spend_time_left(highs)
        _, tolerance = highs.getOptionValue("mip_feasibility_tolerance")
        highs.setOptionValue("mip_feasibility_tolerance", CORE_FEASIBILITY_TOLERANCE)
        highs.run()
        highs.setOptionValue("mip_feasibility_tolerance", tolerance)
        found = None
        info = highs.getInfo()
        if info.primal_solution_status == 2:  # kSolutionStatusFeasible
            found = CoreRun(np.asarray(highs.getSolution().col_value).copy(), info.objective_function_value, fixing)
        highs.changeColsBounds(len(fixed), fixed, self._bounds[0][fixed], self._bounds[1][fixed])  # as built
        highs.clearSolver()
        return found

    def _prove(self, highs: highspy.Highs, fixing: tuple[np.ndarray, np.ndarray], bound: float,
               by: str) -> CoreProof | None:
        """The core MIP again (after a repair); a proof if its portfolio is within the gap of ``bound``."""
        gap_tolerance = self.gapRel if self.gapRel is not None else 1e-4
        highs.setOptionValue("mip_rel_gap", gap_tolerance / 2)
        found = self._core_mip(highs, fixing)
        highs.setOptionValue("mip_rel_gap", gap_tolerance)
        if found is None or _gap(found.objective, bound) > gap_tolerance:
            return None
        return CoreProof(found.values, found.objective, bound, max(_gap(found.objective, bound), 0.0), by, fixing)
