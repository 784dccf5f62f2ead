"""The one exception the fee rules raise when they refuse an input or a parameter (spec 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .text import Text


class RuleError(ValueError):
    """A domain refusal with a clear message; `field` names the bad parameter or fact when known.

    `text` is the same refusal as a message id with params (issue 12), set where sellers and ops read it;
    `str(error)` stays the English `message`."""

    def __init__(self, message: str, *, field: str | None = None, text: Text | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.text = text

    @property
    def top_field(self) -> str | None:
        """The first part of `field` (`tiers` for `tiers[1].max_kg`), for a form's field errors."""
        if self.field is None:
            return None
        for separator in ".[":
            head, _, _ = self.field.partition(separator)
            if head != self.field:
                return head
        return self.field
