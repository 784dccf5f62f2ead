"""`per_kg`: a flat price per kilogram (e-commerce split, container unloading, shipping marks; spec 7.9)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import ReceivingService, describe, refs_of
from .lines import ChargeLine, RuleContext
from .money import ZERO, fmt_number
from .params import ParamReader, check_fact_decimal, coerce_params
from .text import Text


@dataclass(frozen=True)
class PerKgParams:
    """`price_per_kg` for the receiving `service` it bills (spec 7.9)."""

    service: str
    price_per_kg: Decimal
    description: str = ""

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> PerKgParams:
        reader = ParamReader(raw)
        params = cls(
            service=reader.text("service"),
            price_per_kg=reader.decimal("price_per_kg", ge=0),
            description=reader.text("description", optional=True, default=""),
        )
        reader.done()
        return params


def bill_per_kg(
    rows: Iterable[ReceivingService], params: PerKgParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line for the month: `Σ kg × price_per_kg` (spec 7.9)."""
    params = coerce_params(PerKgParams, params)
    row_list = list(rows)
    if not row_list:
        return []
    weight = ZERO
    for row in row_list:
        where = describe(row)
        if row.service != params.service:
            raise RuleError(
                f"{where}: service {row.service!r} is not this rule's service {params.service!r}",
                field="service",
            )
        weight += check_fact_decimal(row.weight_kg, "weight_kg", where, ge=0)
    return [
        ChargeLine.from_exact(
            code=ctx.charge_code,
            section=ctx.section_or("services"),
            description=params.description or params.service,
            quantity=weight,
            unit="kg",
            unit_price=params.price_per_kg,
            exact_amount=weight * params.price_per_kg,
            currency=ctx.currency,
            expression=f"{fmt_number(weight)} × {fmt_number(params.price_per_kg)}",
            description_text=Text(
                "line.per_kg",
                {"service": params.service, "description": params.description or params.service},
            ),
            formula_text=Text(
                "formula.per_kg",
                {"weight_kg": fmt_number(weight), "price_per_kg": fmt_number(params.price_per_kg)},
            ),
            inputs={"service": params.service, "rows": len(row_list), "weight_kg": weight},
            source_refs=refs_of(row_list),
        )
    ]
