"""A message as data (issue 12): an id and its parameters, never a sentence in one language.

The engine stays pure: it only names the message (``line.weight_step.parcel``) and gives the numbers as
strings; ``tariffs.messages`` turns a ``Text`` into words in the reader's language. A parameter is a string,
an int, or another ``Text`` (a counted noun such as ``count.parcel``, a customer class), so every ``Text``
is JSON as ``{"id": ..., "params": {...}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .money import fmt_number


def _param(value: Any) -> Any:
    """A JSON-safe parameter: decimals as formula numbers (strings), nested texts kept, others as given."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return fmt_number(value)
    if isinstance(value, str | int | Text):
        return value
    if value is None:
        return ""
    raise TypeError(f"a message parameter must be a str, int, Decimal or Text, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Text:
    """A message id (``line.storage_daily_volume``) and its named params, rendered by ``tariffs.messages``."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a message needs an id")
        object.__setattr__(self, "params", {str(k): _param(v) for k, v in dict(self.params).items()})

    def with_params(self, **params: Any) -> Text:
        """The same message with more (or replaced) parameters."""
        return Text(self.id, {**self.params, **params})

    def as_dict(self) -> dict[str, Any]:
        """``{"id", "params"}``, nested texts as dicts too: what a JSON field stores."""
        return {
            "id": self.id,
            "params": {k: v.as_dict() if isinstance(v, Text) else v for k, v in self.params.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Text:
        """The inverse of ``as_dict`` (a stored ``{"id", "params"}``)."""
        params = {
            k: cls.from_dict(v) if isinstance(v, Mapping) and "id" in v else v
            for k, v in dict(data.get("params") or {}).items()
        }
        return cls(str(data["id"]), params)


def counted(noun: str, value: int | Decimal) -> Text:
    """A counted noun, ``count.parcel`` with ``count``: `1 parcel`, `3 parcels` (plural per language)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return Text(f"count.{noun}", {"count": value})
