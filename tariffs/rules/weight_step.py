"""`weight_step`: first weight + additional weight per step, with a SKU-kind surcharge (spec 7.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from .errors import RuleError
from .facts import Parcel, describe, refs_of
from .lines import ChargeLine, RuleContext
from .money import ZERO, fmt_number, plural
from .params import ParamReader, check_fact_decimal, check_fact_int, coerce_params
from .text import Text, counted

LINE_MODES = ("per_parcel", "grouped")


@dataclass(frozen=True)
class WeightStepParams:
    """`first_price` for `first_kg`, `step_price` a started `step_kg`; `sku_price` a kind above `sku_free`."""

    first_kg: Decimal
    first_price: Decimal
    step_kg: Decimal
    step_price: Decimal
    sku_price: Decimal | None = None
    sku_free: int | None = None
    lines: str = "per_parcel"

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> WeightStepParams:
        reader = ParamReader(raw)
        params = cls(
            first_kg=reader.decimal("first_kg", gt=0),
            first_price=reader.decimal("first_price", ge=0),
            step_kg=reader.decimal("step_kg", gt=0),
            step_price=reader.decimal("step_price", ge=0),
            sku_price=reader.decimal("sku_price", ge=0, optional=True),
            sku_free=reader.integer("sku_free", ge=0, optional=True),
            lines=reader.choice("lines", LINE_MODES, default="per_parcel"),
        )
        reader.done()
        if (params.sku_price is None) != (params.sku_free is None):
            raise RuleError(
                "sku_free: give sku_price and sku_free (SKU kinds included per parcel) together",
                field="sku_free",
            )
        return params


@dataclass(frozen=True)
class WeightStepFee:
    """One parcel's fee at full precision, with the numbers that made it."""

    chargeable_kg: Decimal
    additional_kg: Decimal
    extra_kinds: int
    fee: Decimal
    expression: str


def chargeable_step_weight(weight_kg: Decimal, step_kg: Decimal) -> Decimal:
    """The weight rounded up to the step: `ceil(weight / step) × step` (spec 7.1)."""
    return (weight_kg / step_kg).to_integral_value(rounding=ROUND_CEILING) * step_kg


def weight_step_fee(weight_kg: Decimal, sku_kinds: int, params: WeightStepParams) -> WeightStepFee:
    """`first_price + step_price × additional / step_kg + sku_price × max(0, kinds − sku_free)` (spec 7.1)."""
    return _fee_at(chargeable_step_weight(weight_kg, params.step_kg), sku_kinds, params)


def _fee_at(chargeable: Decimal, sku_kinds: int, params: WeightStepParams) -> WeightStepFee:
    """The fee of a parcel of ``chargeable`` kg (already rounded up to the step) and ``sku_kinds``."""
    additional = max(ZERO, chargeable - params.first_kg)
    fee = params.first_price + params.step_price * additional / params.step_kg
    terms = [fmt_number(params.first_price)]
    if additional > 0:
        term = f"{fmt_number(params.step_price)} × ({fmt_number(chargeable)} − {fmt_number(params.first_kg)})"
        if params.step_kg != 1:
            term += f" / {fmt_number(params.step_kg)}"
        terms.append(term)
    extra_kinds = 0
    if params.sku_price is not None and params.sku_free is not None:
        extra_kinds = max(0, sku_kinds - params.sku_free)
        if extra_kinds:
            fee += params.sku_price * extra_kinds
            terms.append(f"{fmt_number(params.sku_price)} × ({sku_kinds} − {params.sku_free})")
    return WeightStepFee(chargeable, additional, extra_kinds, fee, " + ".join(terms))


def bill_weight_step(
    parcels: Iterable[Parcel], params: WeightStepParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line per parcel, or per group of parcels with the same fee when `lines` is `grouped` (spec 7.1)."""
    params = coerce_params(WeightStepParams, params)
    section = ctx.section_or("fulfilment")
    per_parcel: list[tuple[Parcel, WeightStepFee]] = []
    fees: dict[tuple[Decimal, int], WeightStepFee] = {}  # a month's parcels share a few fees
    for parcel in parcels:
        weight, kinds = parcel.weight_kg, parcel.sku_kinds
        if not (
            weight.__class__ is Decimal
            and weight.is_finite()
            and weight > 0
            and kinds.__class__ is int
            and kinds >= 1
        ):  # the checks (and their errors naming the parcel) only where the fact is not plainly valid
            where = describe(parcel)
            weight = check_fact_decimal(weight, "weight_kg", where, gt=0)
            kinds = check_fact_int(kinds, "sku_kinds", where, ge=1)
        key = (chargeable_step_weight(weight, params.step_kg), kinds)
        fee = fees.get(key)
        if fee is None:
            fee = fees[key] = _fee_at(key[0], kinds, params)
        per_parcel.append((parcel, fee))
    if params.lines == "per_parcel":
        return [
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=section,
                description=f"Parcel {parcel.order_no}: {fmt_number(parcel.weight_kg)} kg, "
                f"{plural(parcel.sku_kinds, 'SKU kind')}",
                quantity=Decimal(1),
                unit="parcel",
                unit_price=fee.fee,
                exact_amount=fee.fee,
                currency=ctx.currency,
                expression=fee.expression,
                description_text=Text(
                    "line.weight_step.parcel",
                    {
                        "order_no": parcel.order_no,
                        "weight_kg": fmt_number(parcel.weight_kg),
                        "sku_kinds": counted("sku_kind", parcel.sku_kinds),
                    },
                ),
                formula_text=Text("formula.weight_step", {"expression": fee.expression}),
                inputs={
                    "order_no": parcel.order_no,
                    "weight_kg": parcel.weight_kg,
                    "chargeable_kg": fee.chargeable_kg,
                    "sku_kinds": parcel.sku_kinds,
                },
                source_refs=refs_of([parcel]),
            )
            for parcel, fee in per_parcel
        ]
    groups: dict[tuple[Decimal, int], list[tuple[Parcel, WeightStepFee]]] = {}
    for parcel, fee in per_parcel:
        groups.setdefault((fee.chargeable_kg, fee.extra_kinds), []).append((parcel, fee))
    lines = []
    for (chargeable, extra_kinds), members in sorted(groups.items()):
        fee = members[0][1]
        count = len(members)
        kinds_text = f", {plural(extra_kinds, 'extra SKU kind')}" if extra_kinds else ""
        description_params = {"parcels": counted("parcel", count), "chargeable_kg": fmt_number(chargeable)}
        if extra_kinds:
            description_text = Text(
                "line.weight_step.group_extra_kinds",
                {**description_params, "extra_sku_kinds": counted("extra_sku_kind", extra_kinds)},
            )
        else:
            description_text = Text("line.weight_step.group", description_params)
        formula_text = (
            Text("formula.weight_step.group", {"count": count, "expression": fee.expression})
            if count > 1
            else Text("formula.weight_step", {"expression": fee.expression})
        )
        lines.append(
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=section,
                description=f"{plural(count, 'parcel')} charged at {fmt_number(chargeable)} kg{kinds_text}",
                quantity=Decimal(count),
                unit="parcel",
                unit_price=fee.fee,
                exact_amount=fee.fee * count,
                currency=ctx.currency,
                expression=f"{count} × ({fee.expression})" if count > 1 else fee.expression,
                description_text=description_text,
                formula_text=formula_text,
                inputs={
                    "parcels": count,
                    "chargeable_kg": chargeable,
                    "extra_sku_kinds": extra_kinds,
                    "order_nos": [parcel.order_no for parcel, _ in members],
                },
                source_refs=refs_of(parcel for parcel, _ in members),
            )
        )
    return lines
