"""Money in Decimal with each currency's minor unit, rounded half-up once (spec 2): the base's pure money
helpers (``portal.money``) with the rules' errors (``RuleError``) and the numbers of formula text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from portal.money import CURRENCIES, MINOR_UNITS, ZERO, quantum

from .errors import RuleError

__all__ = ["CURRENCIES", "MINOR_UNITS", "ZERO", "Money", "format_amount", "minor_units", "round_money"]
FORMULA_PLACES = 4


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit (spec 2)."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        known = ", ".join(CURRENCIES)
        raise RuleError(f"unknown currency {currency!r} (known: {known})", field="currency") from None


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round a full-precision amount once, half-up, to the currency's minor unit (spec 2)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise RuleError(f"cannot round a non-finite amount ({amount})")
    minor_units(currency)  # an unknown currency is a RuleError
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, currency: str) -> str:
    """The amount as a plain decimal string in the currency's minor unit: `22.00`, `14108500`."""
    return f"{round_money(amount, currency):f}"


def to_decimal(value: object, *, field: str) -> Decimal:
    """A Decimal from a Decimal, int or numeric string; floats and booleans are refused (spec 2)."""
    if isinstance(value, bool | float):
        raise RuleError(
            f"{field}: give {value!r} as a decimal string or Decimal, not a {type(value).__name__}",
            field=field,
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", "").replace("_", ""))
        except ArithmeticError:
            raise RuleError(f"{field}: {value!r} is not a decimal number", field=field) from None
    else:
        raise RuleError(f"{field}: expected a decimal number, got {type(value).__name__}", field=field)
    if not result.is_finite():
        raise RuleError(f"{field}: {value!r} is not a finite number", field=field)
    return result


def fmt_number(value: Decimal | int, max_places: int = FORMULA_PLACES) -> str:
    """A number as written in a formula: no exponent, no trailing zeros, `…` when cut short."""
    if isinstance(value, int):
        return str(value)
    if value.is_infinite():
        return "∞" if value > 0 else "−∞"
    normal = value.normalize()
    if normal.as_tuple().exponent < -max_places:
        cut = value.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_DOWN)
        return f"{cut:f}…"
    return f"{normal:f}"


def plural(count: int | Decimal, noun: str) -> str:
    """`1 parcel`, `3 parcels`: counts in line descriptions."""
    return f"{fmt_number(count)} {noun}" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class Money:
    """An amount rounded to its currency's minor unit (spec 2)."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", round_money(self.amount, self.currency))

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise RuleError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.currency} {format_amount(self.amount, self.currency)}"
