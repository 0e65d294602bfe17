"""An uploaded file into the store (the storage package's transaction), for the projects page."""

from __future__ import annotations

from storage.importing import ImportOutcome, import_upload

from .auth import actor
from .datastore import get_store


def import_file(name: str, filename: str, data: bytes) -> ImportOutcome:
    """Check and store an upload as dataset ``name``: all of it, or nothing but a log line."""
    return import_upload(get_store(), name, filename, data, actor=actor())
