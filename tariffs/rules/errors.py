"""The one exception the fee rules raise when they refuse an input or a parameter (spec 7)."""


class RuleError(ValueError):
    """A domain refusal with a clear message; `field` names the bad parameter or fact when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

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
