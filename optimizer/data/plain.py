"""Values made plain for JSON: the one function every output, record and store row goes through."""

from __future__ import annotations

import math
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` ready for JSON, all the way down.

    NaN and infinity become None (JSON has neither), numpy scalars their
    Python values, tuples lists, and mapping keys strings. Numpy is read by
    duck typing, so the command line's ``--help`` imports nothing heavy.
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
