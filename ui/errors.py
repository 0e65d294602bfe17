"""Errors on a page: a short message in both languages with an error id; the trace goes to the server log.

``client.showErrorDetails = "none"`` in ``.streamlit/config.toml`` keeps Streamlit's own
traceback off the page for anything that still escapes. Set ``RETROFIT_RAISE_ERRORS=1`` (the
AppTest suite does) to let errors through, so tests see them as exceptions.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable

import streamlit as st

from storage.access import AccessDenied
from storage.store import StoreError

from .i18n import TEXT, escape_markdown, language
from .workers import Abandoned

LOG = logging.getLogger("retrofit.app")
RAISE_VARIABLE = "RETROFIT_RAISE_ERRORS"


def error_message(error_id: str) -> str:
    """The message a user sees, in Chinese and English, naming the error id."""
    return "\n\n".join(TEXT["error_box"][lang].format(error_id=error_id) for lang in ("zh", "en"))


def guarded(run: Callable[[], object]) -> None:
    """Run ``run()``; an exception is logged with a new error id and shown as :func:`error_message`.

    ``st.stop()`` and ``st.rerun()`` pass through (they are not ``Exception``).
    """
    try:
        run()
    except AccessDenied as error:  # a write the role may not make (the store refused it): say why
        LOG.warning("write refused (%s)", error.code)
        st.error(escape_markdown(error.text(language())), icon="🔒")
    except Abandoned:  # the tab closed while its solve waited in line: no one to tell
        LOG.info("a closed session left the worker line")
    except StoreError as error:  # a database fault the user can act on: say which, in their language
        LOG.warning("store fault %s on page run: %s", error.code, error.detail)
        st.error(escape_markdown(error.text(language())), icon="⚠️")
    except Exception:
        if os.environ.get(RAISE_VARIABLE):
            raise
        error_id = uuid.uuid4().hex[:8]
        LOG.error("error id %s on page run", error_id, exc_info=True)
        st.error(error_message(error_id), icon="⚠️")
