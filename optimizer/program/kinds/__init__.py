"""What each kind of plan target means, one module per kind, listed in one registry.

A kind's module holds everything the product asks of it: its rows in the
program, its scenario rows for the robust pick, its evaluation (value,
requirement, verdict, draws), its reach for the diagnosis, its coupling for
the Lagrangian bound, its labels and format (see :class:`TargetKind`).
Nothing outside this package tests a kind by name; a new kind is one module
and one line below.
"""

from __future__ import annotations

from optimizer.program.kinds import baseline_all, benchmark_share_min, min_line_capacity
from optimizer.program.kinds.base import Coupling, Reach, TargetDiagnosis, TargetKind

KINDS: dict[str, TargetKind] = {kind.kind: kind for kind in (
    benchmark_share_min.KIND,
    baseline_all.KIND,
    min_line_capacity.KIND,
)}


def kind_of(kind: str) -> TargetKind:
    """The kind named ``kind``; an unknown name reads as a count that means nothing, never as a share."""
    return KINDS.get(kind) or TargetKind(kind, False, kind, kind, "value", "数值", None)


__all__ = ["KINDS", "Coupling", "Reach", "TargetDiagnosis", "TargetKind", "kind_of"]
