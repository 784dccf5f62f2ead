"""Errors reported by the ledger readers: one per bad cell, or one for the whole file (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad cell: the spreadsheet row number (header = 1), the English column name and a reason.

    `row` is None for a problem with the whole file; `column` is None when no single column is at fault.
    """

    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column is not None:
            where = f"{where}, {self.column}"
        return f"{where}: {self.reason}"


class LedgerFileError(ValueError):
    """The file cannot be read, or (all or nothing, SPEC §6) it has bad rows: `.errors` lists them all."""

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.errors: list[RowError] = list(errors) if errors else [RowError(None, None, message)]


class InvalidValue(Exception):  # noqa: N818 - internal signal, never leaves the package
    """Raised by a cell parser; carries the plain-English reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
