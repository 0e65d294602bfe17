"""Where the app keeps things: the DuckDB store and the upload-to-store transaction.

The only package with SQL. It depends on :mod:`optimizer` (the pure library) and
never the other way round; the app's ``ui`` helpers depend on it.
"""

from .importing import ImportOutcome, import_upload
from .store import PATH_VARIABLE, SAMPLE_NAME, Store, StoreError, default_path

__all__ = ["PATH_VARIABLE", "SAMPLE_NAME", "ImportOutcome", "Store", "StoreError", "default_path", "import_upload"]
