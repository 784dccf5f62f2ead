"""`minimum_monthly`: a floor on a seller's monthly fees on a line; the shortfall is a line (spec 7.10)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .lines import SECTIONS, ChargeLine, RuleContext
from .money import ZERO, fmt_number, format_amount
from .params import ParamReader, coerce_params
from .text import Text

DEFAULT_COUNTED_SECTIONS = ("fulfilment", "storage", "services")


@dataclass(frozen=True)
class MinimumMonthlyParams:
    """`minimum` of the month's fees in `counted_sections` (pass-through taxes never count by default)."""

    minimum: Decimal
    counted_sections: tuple[str, ...] = DEFAULT_COUNTED_SECTIONS

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> MinimumMonthlyParams:
        reader = ParamReader(raw)
        minimum = reader.decimal("minimum", ge=0)
        reader.used.add("counted_sections")
        sections = raw.get("counted_sections") or DEFAULT_COUNTED_SECTIONS
        if isinstance(sections, str) or not all(section in SECTIONS for section in sections):
            raise RuleError(
                f"counted_sections: a list drawn from {', '.join(SECTIONS)}, got {sections!r}",
                field="counted_sections",
            )
        reader.done()
        return cls(minimum=minimum, counted_sections=tuple(sections))


def bill_minimum_monthly(
    lines: Iterable[ChargeLine], params: MinimumMonthlyParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """`max(0, minimum − Σ counted lines)` as an adjustments line; nothing when the fees reach the minimum.

    The shortfall cites no ledger rows: each row stays on exactly one line, the one that billed it.
    """
    params = coerce_params(MinimumMonthlyParams, params)
    section = ctx.section_or("adjustments")
    if section != "adjustments":
        raise RuleError("a minimum-charge shortfall belongs to the adjustments section", field="section")
    counted = [line for line in lines if line.section in params.counted_sections]
    for line in counted:
        if line.currency != ctx.currency:
            raise RuleError(f"line {line.code} is in {line.currency}, the rule in {ctx.currency}")
    fees = sum((line.amount for line in counted), ZERO)
    shortfall = params.minimum - fees
    if shortfall <= 0:
        return []
    return [
        ChargeLine.from_exact(
            code=ctx.charge_code,
            section=section,
            description=f"Minimum monthly charge {format_amount(params.minimum, ctx.currency)} "
            f"{ctx.currency}: shortfall",
            quantity=Decimal(1),
            unit="month",
            unit_price=None,
            exact_amount=shortfall,
            currency=ctx.currency,
            expression=f"max(0, {fmt_number(params.minimum)} − {format_amount(fees, ctx.currency)})",
            description_text=Text(
                "line.minimum_monthly",
                {"minimum": format_amount(params.minimum, ctx.currency), "currency": ctx.currency},
            ),
            formula_text=Text(
                "formula.minimum_monthly",
                {"minimum": fmt_number(params.minimum), "counted_fees": format_amount(fees, ctx.currency)},
            ),
            inputs={
                "minimum": params.minimum,
                "counted_fees": fees,
                "counted_sections": list(params.counted_sections),
            },
            source_refs=(),
        )
    ]
