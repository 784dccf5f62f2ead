"""Words in the reader's language (issue 12): the engine and the checks store a message id with its
parameters, never a sentence; pages, exports and PDFs render it here in the reader's language.

``render(message_id, params, fallback)`` gives the text in the active language (``translation.override`` to
choose another). An unknown id gives ``fallback`` (the English text stored beside it), so rows written
before a message had an id still read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _  # noqa: F401  (the catalog below uses it)

# message id -> a gettext_lazy template with named ``{placeholders}`` (str.format); filled in by issue 12.
CATALOG: dict[str, Any] = {}


def render(message_id: str | None, params: Mapping[str, Any] | None = None, fallback: str = "") -> str:
    """The message in the active language; ``fallback`` when the id is unknown or a parameter missing."""
    template = CATALOG.get(message_id or "")
    if template is None:
        return fallback
    try:
        return str(template).format(**dict(params or {}))
    except (KeyError, IndexError, ValueError):
        return fallback
