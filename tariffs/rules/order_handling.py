"""`order_handling`: per order plus per unit beyond those included (Japanese sample card, spec 8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .facts import Parcel, describe, refs_of
from .lines import ChargeLine, RuleContext
from .money import fmt_number, plural
from .params import ParamReader, check_fact_int, coerce_params
from .text import Text, counted


@dataclass(frozen=True)
class OrderHandlingParams:
    """`per_order` for each outbound order with `included_units`, `per_extra_unit` for each unit above."""

    per_order: Decimal
    per_extra_unit: Decimal
    included_units: int = 1

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> OrderHandlingParams:
        reader = ParamReader(raw)
        params = cls(
            per_order=reader.decimal("per_order", ge=0),
            per_extra_unit=reader.decimal("per_extra_unit", ge=0),
            included_units=reader.integer("included_units", ge=0, optional=True, default=1),
        )
        reader.done()
        return params


def bill_order_handling(
    parcels: Iterable[Parcel], params: OrderHandlingParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line for the month: `orders × per_order + extra units × per_extra_unit`."""
    params = coerce_params(OrderHandlingParams, params)
    parcel_list = list(parcels)
    if not parcel_list:
        return []
    extra_units = 0
    for parcel in parcel_list:
        units = check_fact_int(parcel.units, "units", describe(parcel), ge=1)
        extra_units += max(0, units - params.included_units)
    orders = len(parcel_list)
    return [
        ChargeLine.from_exact(
            code=ctx.charge_code,
            section=ctx.section_or("fulfilment"),
            description=f"Order handling: {plural(orders, 'order')}, {plural(extra_units, 'extra unit')}",
            quantity=Decimal(orders),
            unit="order",
            unit_price=None,
            exact_amount=orders * params.per_order + extra_units * params.per_extra_unit,
            currency=ctx.currency,
            expression=f"{orders} × {fmt_number(params.per_order)} + {extra_units} × "
            f"{fmt_number(params.per_extra_unit)}",
            description_text=Text(
                "line.order_handling",
                {"orders": counted("order", orders), "extra_units": counted("extra_unit", extra_units)},
            ),
            formula_text=Text(
                "formula.order_handling",
                {
                    "orders": orders,
                    "per_order": fmt_number(params.per_order),
                    "extra_units": extra_units,
                    "per_extra_unit": fmt_number(params.per_extra_unit),
                },
            ),
            inputs={
                "orders": orders,
                "extra_units": extra_units,
                "included_units": params.included_units,
            },
            source_refs=refs_of(parcel_list),
        )
    ]
