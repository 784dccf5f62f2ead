"""`chargeable_weight` for freight quotes: `max(actual kg, L × W × H cm / divisor)` (spec 7.10)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import Parcel, describe, refs_of
from .lines import ChargeLine, RuleContext
from .money import fmt_number
from .params import ParamReader, check_fact_decimal, coerce_params
from .text import Text

DEFAULT_DIVISOR = Decimal(6000)
MM_PER_CM = Decimal(10)


def chargeable_weight(
    actual_kg: Decimal,
    length_cm: Decimal,
    width_cm: Decimal,
    height_cm: Decimal,
    divisor: Decimal = DEFAULT_DIVISOR,
) -> Decimal:
    """The greater of the actual and the volumetric weight `L × W × H / divisor` (cm, kg; spec 7.10)."""
    if not divisor > 0:
        raise RuleError(f"divisor must be greater than 0, got {divisor}", field="divisor")
    for name, value in (("actual_kg", actual_kg), ("length_cm", length_cm), ("width_cm", width_cm)):
        if value < 0:
            raise RuleError(f"{name} must not be negative, got {value}", field=name)
    if height_cm < 0:
        raise RuleError(f"height_cm must not be negative, got {height_cm}", field="height_cm")
    return max(actual_kg, length_cm * width_cm * height_cm / divisor)


@dataclass(frozen=True)
class ChargeableWeightParams:
    """`price_per_kg` of chargeable weight with volumetric `divisor` (6,000 by default)."""

    price_per_kg: Decimal
    divisor: Decimal = DEFAULT_DIVISOR

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> ChargeableWeightParams:
        reader = ParamReader(raw)
        params = cls(
            price_per_kg=reader.decimal("price_per_kg", ge=0),
            divisor=reader.decimal("divisor", gt=0, optional=True, default=DEFAULT_DIVISOR),
        )
        reader.done()
        return params


def parcel_dimensions_cm(parcel: Parcel) -> tuple[Decimal, Decimal, Decimal]:
    """A parcel's length, width and height in centimetres from the ledger's millimetres."""
    where = describe(parcel)
    return tuple(  # type: ignore[return-value]
        check_fact_decimal(getattr(parcel, name), name, where, gt=0) / MM_PER_CM
        for name in ("length_mm", "width_mm", "height_mm")
    )


def bill_chargeable_weight(
    parcels: Iterable[Parcel], params: ChargeableWeightParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line per parcel: `chargeable kg × price_per_kg` (a freight quote)."""
    params = coerce_params(ChargeableWeightParams, params)
    lines = []
    for parcel in parcels:
        actual = check_fact_decimal(parcel.weight_kg, "weight_kg", describe(parcel), gt=0)
        length, width, height = parcel_dimensions_cm(parcel)
        volumetric = length * width * height / params.divisor
        chargeable = chargeable_weight(actual, length, width, height, params.divisor)
        lines.append(
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=ctx.section_or("fulfilment"),
                description=f"Parcel {parcel.order_no}: chargeable {fmt_number(chargeable)} kg",
                quantity=chargeable,
                unit="kg",
                unit_price=params.price_per_kg,
                exact_amount=chargeable * params.price_per_kg,
                currency=ctx.currency,
                expression=(
                    f"max({fmt_number(actual)}, {fmt_number(length)} × {fmt_number(width)} × "
                    f"{fmt_number(height)} / {fmt_number(params.divisor)}) × "
                    f"{fmt_number(params.price_per_kg)}"
                ),
                description_text=Text(
                    "line.chargeable_weight",
                    {"order_no": parcel.order_no, "chargeable_kg": fmt_number(chargeable)},
                ),
                formula_text=Text(
                    "formula.chargeable_weight",
                    {
                        "actual_kg": fmt_number(actual),
                        "length_cm": fmt_number(length),
                        "width_cm": fmt_number(width),
                        "height_cm": fmt_number(height),
                        "divisor": fmt_number(params.divisor),
                        "price_per_kg": fmt_number(params.price_per_kg),
                    },
                ),
                inputs={
                    "order_no": parcel.order_no,
                    "actual_kg": actual,
                    "volumetric_kg": volumetric,
                    "chargeable_kg": chargeable,
                    "dimensions_cm": [length, width, height],
                },
                source_refs=refs_of([parcel]),
            )
        )
    return lines
