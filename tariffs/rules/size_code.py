"""`size_code`: wooden crating and bubble wrap priced by the package's size code (spec 7.8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from .errors import RuleError
from .facts import ReceivingService, describe, describe_text, refs_of
from .lines import ChargeLine, RuleContext
from .money import CURRENCIES, ZERO, fmt_number, plural
from .params import ParamReader, check_fact_decimal, coerce_params
from .text import Text, counted

SERVICES = ("crate", "wrap")
VARIANTS = ("shared", "private")


@dataclass(frozen=True)
class SizeCode:
    """A size code up to `max_m3` inclusive: shared / private surcharge (`None`: not offered), wood kg."""

    code: str
    max_m3: Decimal
    shared: Decimal | None
    private: Decimal | None
    wood_kg: Decimal | None = None


@dataclass(frozen=True)
class SizeIncrement:
    """Above the last code: `code` (X), plus these per started `step_m3` above it (spec 7.8)."""

    step_m3: Decimal
    shared: Decimal | None
    private: Decimal | None
    wood_kg: Decimal | None = None
    code: str = "X"


@dataclass(frozen=True)
class SizeCodeParams:
    """`service` crate or wrap, its codes and increment; prices in `price_currency` × `fx_rate` (spec 7.8)."""

    service: str
    codes: tuple[SizeCode, ...]
    increment: SizeIncrement | None = None
    price_currency: str | None = None
    fx_rate: Decimal | None = None

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> SizeCodeParams:
        reader = ParamReader(raw)
        service = reader.choice("service", SERVICES)
        crate = service == "crate"
        codes = []
        previous = ZERO
        for code_reader in reader.items("codes"):
            size = SizeCode(
                code=code_reader.text("code"),
                max_m3=code_reader.decimal("max_m3", gt=0),
                shared=code_reader.decimal("shared", ge=0, optional=True),
                private=code_reader.decimal("private", ge=0, optional=True),
                wood_kg=_wood(code_reader, crate),
            )
            code_reader.done()
            if size.max_m3 <= previous:
                name = code_reader.name("max_m3")
                raise RuleError(f"{name}: size codes must rise, each above the one before", field=name)
            previous = size.max_m3
            codes.append(size)
        increment = None
        increment_reader = reader.mapping("increment", optional=True)
        if increment_reader is not None:
            increment = SizeIncrement(
                step_m3=increment_reader.decimal("step_m3", gt=0),
                shared=increment_reader.decimal("shared", ge=0, optional=True),
                private=increment_reader.decimal("private", ge=0, optional=True),
                wood_kg=_wood(increment_reader, crate),
                code=increment_reader.text("code", optional=True, default="X"),
            )
            increment_reader.done()
        price_currency = reader.text("price_currency", optional=True)
        if price_currency is not None and price_currency not in CURRENCIES:
            raise RuleError(
                f"price_currency: unknown currency {price_currency!r} (known: {', '.join(CURRENCIES)})",
                field="price_currency",
            )
        params = cls(
            service=service,
            codes=tuple(codes),
            increment=increment,
            price_currency=price_currency,
            fx_rate=reader.decimal("fx_rate", gt=0, optional=True),
        )
        reader.done()
        return params


def _wood(reader: ParamReader, crate: bool) -> Decimal | None:
    if crate:
        return reader.decimal("wood_kg", ge=0)
    if reader.raw.get("wood_kg") not in (None, ""):
        name = reader.name("wood_kg")
        raise RuleError(f"{name}: only crating adds wood weight", field=name)
    reader.used.add("wood_kg")
    return None


@dataclass(frozen=True)
class SizeChoice:
    """The size code a volume falls in, and how many increments above the last code."""

    code: str
    base: SizeCode
    increments: int


def size_code_for(volume_m3: Decimal, params: SizeCodeParams) -> SizeChoice:
    """Upper bounds inclusive (0.01 is S1); above the last, one increment per started step (spec 7.8)."""
    if not volume_m3 > 0:
        raise RuleError(f"volume_m3 must be greater than 0, got {volume_m3}", field="volume_m3")
    for size in params.codes:
        if volume_m3 <= size.max_m3:
            return SizeChoice(code=size.code, base=size, increments=0)
    last = params.codes[-1]
    if params.increment is None:
        raise RuleError(
            f"volume {fmt_number(volume_m3)} m³ is above the largest size code {last.code} "
            f"({fmt_number(last.max_m3)} m³)",
            field="volume_m3",
            text=Text(
                "error.volume_above_largest_size_code",
                {"volume_m3": fmt_number(volume_m3), "code": last.code, "max_m3": fmt_number(last.max_m3)},
            ),
        )
    steps = ((volume_m3 - last.max_m3) / params.increment.step_m3).to_integral_value(rounding=ROUND_CEILING)
    return SizeChoice(code=params.increment.code, base=last, increments=int(steps))


@dataclass(frozen=True)
class SizeFee:
    """One package's crating or wrap fee at full precision."""

    choice: SizeChoice
    variant: str
    surcharge: Decimal
    wood_kg: Decimal
    fee: Decimal
    expression: str


def size_code_fee(
    volume_m3: Decimal,
    variant: str,
    params: SizeCodeParams,
    *,
    currency: str,
    freight_rate_per_kg: Decimal | None = None,
) -> SizeFee:
    """Crate: surcharge + wood kg × freight rate per kg; wrap: surcharge; blanks refused (spec 7.8)."""
    if variant not in VARIANTS:
        raise RuleError(f"variant must be shared or private, got {variant!r}", field="service")
    choice = size_code_for(volume_m3, params)
    service_name = f"{params.service}_{variant}"
    base_price = getattr(choice.base, variant)
    step_price = getattr(params.increment, variant) if choice.increments else ZERO
    if base_price is None or step_price is None:
        raise RuleError(
            f"{service_name} is not offered for size code {choice.code} "
            f"(volume {fmt_number(volume_m3)} m³): the price list leaves it blank",
            field="service",
            text=Text(
                "error.size_code_not_offered",
                {"service": service_name, "code": choice.code, "volume_m3": fmt_number(volume_m3)},
            ),
        )
    price_currency = params.price_currency or currency
    fx = Decimal(1)
    if price_currency != currency:
        if params.fx_rate is None:
            raise RuleError(
                f"{service_name}: the size-code surcharges are priced in {price_currency} and this "
                f"{currency} rate card states no {price_currency}→{currency} rate (fx_rate); "
                f"it cannot be billed in {currency}",
                field="fx_rate",
                text=Text(
                    "error.no_fx_rate",
                    {"service": service_name, "price_currency": price_currency, "currency": currency},
                ),
            )
        fx = params.fx_rate
    surcharge_terms = fmt_number(base_price)
    surcharge = base_price + choice.increments * step_price
    if choice.increments:
        surcharge_terms += f" + {choice.increments} × {fmt_number(step_price)}"
    if fx != 1:
        surcharge_terms = f"({surcharge_terms}) × {fmt_number(fx, 8)}"
    fee = surcharge * fx
    wood_kg = ZERO
    expression = surcharge_terms
    if params.service == "crate":
        if freight_rate_per_kg is None:
            raise RuleError(
                f"{service_name}: freight_rate_per_kg is required for crating", field="freight_rate_per_kg"
            )
        step_wood = params.increment.wood_kg if choice.increments else ZERO  # type: ignore[union-attr]
        wood_kg = choice.base.wood_kg + choice.increments * step_wood  # type: ignore[operator]
        wood_terms = fmt_number(choice.base.wood_kg)  # type: ignore[arg-type]
        if choice.increments:
            wood_terms = f"({wood_terms} + {choice.increments} × {fmt_number(step_wood)})"
        expression = f"{surcharge_terms} + {wood_terms} × {fmt_number(freight_rate_per_kg)}"
        fee += wood_kg * freight_rate_per_kg
    return SizeFee(choice, variant, surcharge, wood_kg, fee, expression)


def bill_size_code(
    rows: Iterable[ReceivingService], params: SizeCodeParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """A package per receiving row (`crate_shared`, `wrap_private` ...); same-fee packages share a line."""
    params = coerce_params(SizeCodeParams, params)
    groups: dict[tuple[str, int, str, Decimal | None], tuple[SizeFee, list[ReceivingService]]] = {}
    for row in rows:
        where = describe(row)
        prefix, _, variant = row.service.partition("_")
        if prefix != params.service or variant not in VARIANTS:
            raise RuleError(
                f"{where}: service {row.service!r} is not "
                f"{params.service}_shared or {params.service}_private",
                field="service",
            )
        volume = check_fact_decimal(row.volume_m3, "volume_m3", where, gt=0)
        rate = None
        if params.service == "crate" and row.freight_rate_per_kg is not None:
            rate = check_fact_decimal(row.freight_rate_per_kg, "freight_rate_per_kg", where, ge=0)
        try:
            fee = size_code_fee(volume, variant, params, currency=ctx.currency, freight_rate_per_kg=rate)
        except RuleError as error:
            text = (
                None
                if error.text is None
                else Text("error.at", {"where": describe_text(row), "error": error.text})
            )
            raise RuleError(f"{where}: {error.message}", field=error.field, text=text) from None
        key = (fee.choice.code, fee.choice.increments, variant, rate)
        groups.setdefault(key, (fee, []))[1].append(row)
    lines = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[3] or ZERO)):
        fee, members = groups[key]
        count = len(members)
        code_text = fee.choice.code + (f" (+{fee.choice.increments})" if fee.choice.increments else "")
        description_text = Text(
            f"line.size_code.{params.service}_{fee.variant}",
            {"size_code": code_text, "packages": counted("package", count)},
        )
        formula_text = (
            Text("formula.size_code", {"expression": fee.expression})
            if count == 1
            else Text("formula.size_code.group", {"count": count, "expression": fee.expression})
        )
        lines.append(
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=ctx.section_or("services"),
                description=f"{params.service.capitalize()} {fee.variant}, size {code_text}: "
                f"{plural(count, 'package')}",
                quantity=Decimal(count),
                unit="package",
                unit_price=fee.fee,
                exact_amount=fee.fee * count,
                currency=ctx.currency,
                expression=fee.expression if count == 1 else f"{count} × ({fee.expression})",
                description_text=description_text,
                formula_text=formula_text,
                inputs={
                    "service": f"{params.service}_{fee.variant}",
                    "size_code": fee.choice.code,
                    "increments": fee.choice.increments,
                    "volumes_m3": [row.volume_m3 for row in members],
                    "surcharge": fee.surcharge,
                    "wood_kg": fee.wood_kg,
                    "freight_rate_per_kg": key[3],
                },
                source_refs=refs_of(members),
            )
        )
    return lines
