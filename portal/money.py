"""Money of the base layer: the currencies, their minor units, rounding half-up once (SPEC §2).

Pure: no Django and nothing else of the project, so every layer may use it, the fee rules included (an
import-linter contract keeps it so). ``tariffs.rules.money`` adds the rules' errors and formula text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MINOR_UNITS: dict[str, int] = {"CNY": 2, "JPY": 0, "VND": 0, "USD": 2}
CURRENCIES: tuple[str, ...] = tuple(MINOR_UNITS)
ZERO = Decimal(0)


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal: ``0.01`` for CNY, ``1`` for JPY (KeyError if unknown)."""
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round a full-precision Decimal once, half-up, to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
