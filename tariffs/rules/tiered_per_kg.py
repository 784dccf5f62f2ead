"""`tiered_per_kg`: a fixed fee per package plus a per-kg price tiered by the month's total kg (spec 7.6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import InboundWeight, describe, refs_of
from .lines import CUSTOMER_CLASSES, ChargeLine, RuleContext
from .money import ZERO, fmt_number, plural
from .params import ParamReader, check_fact_decimal, check_fact_int, coerce_params
from .text import Text, counted

MODES = ("all_units", "graduated")


@dataclass(frozen=True)
class KgTier:
    """Up to `max_kg` inclusive (`None`: no upper bound), a per-kg price per customer class."""

    max_kg: Decimal | None
    prices: Mapping[str, Decimal]

    def label(self, lower: Decimal) -> str:
        if lower == 0:
            return f"≤ {fmt_number(self.max_kg)} kg" if self.max_kg is not None else "all kg"
        if self.max_kg is None:
            return f"> {fmt_number(lower)} kg"
        return f"> {fmt_number(lower)} to {fmt_number(self.max_kg)} kg"

    def label_text(self, lower: Decimal) -> Text:
        """`label` as a message: `tier.all_kg`, `tier.up_to`, `tier.above` or `tier.between`."""
        if lower == 0:
            if self.max_kg is None:
                return Text("tier.all_kg")
            return Text("tier.up_to", {"max_kg": fmt_number(self.max_kg)})
        if self.max_kg is None:
            return Text("tier.above", {"min_kg": fmt_number(lower)})
        return Text("tier.between", {"min_kg": fmt_number(lower), "max_kg": fmt_number(self.max_kg)})


@dataclass(frozen=True)
class TieredPerKgParams:
    """`fixed_per_package` and `tiers` per customer class; `mode` all_units or graduated (spec 7.6)."""

    fixed_per_package: Mapping[str, Decimal]
    tiers: tuple[KgTier, ...]
    mode: str = "all_units"
    line: str | None = None

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> TieredPerKgParams:
        reader = ParamReader(raw)
        fixed = reader.decimal_map("fixed_per_package", ge=0)
        _check_classes(fixed, reader.name("fixed_per_package"))
        tiers = []
        previous: Decimal | None = ZERO
        tier_readers = reader.items("tiers")
        for index, tier_reader in enumerate(tier_readers):
            max_kg = tier_reader.decimal("max_kg", gt=0, optional=True)
            if previous is None or (max_kg is not None and max_kg <= previous):
                name = tier_reader.name("max_kg")
                raise RuleError(f"{name}: tiers must rise, each above the one before", field=name)
            if max_kg is None and index != len(tier_readers) - 1:
                name = tier_reader.name("max_kg")
                raise RuleError(f"{name}: only the last tier may be open-ended", field=name)
            prices = tier_reader.decimal_map("prices", ge=0)
            if set(prices) != set(fixed):
                name = tier_reader.name("prices")
                raise RuleError(
                    f"{name}: give a price for each class of fixed_per_package ({', '.join(sorted(fixed))})",
                    field=name,
                )
            tier_reader.done()
            tiers.append(KgTier(max_kg=max_kg, prices=prices))
            previous = max_kg
        params = cls(
            fixed_per_package=fixed,
            tiers=tuple(tiers),
            mode=reader.choice("mode", MODES, default="all_units"),
            line=reader.text("line", optional=True),
        )
        reader.done()
        return params


def _check_classes(classes: Iterable[str], name: str) -> None:
    for customer_class in classes:
        if customer_class not in CUSTOMER_CLASSES:
            raise RuleError(
                f"{name}.{customer_class}: unknown customer class (known: {', '.join(CUSTOMER_CLASSES)})",
                field=f"{name}.{customer_class}",
            )


def tier_index(month_total_kg: Decimal, tiers: Sequence[KgTier]) -> int:
    """The first tier whose `max_kg` is ≥ the month total: 5,000 is tier 1, 5,000.05 tier 2 (spec 7.6)."""
    for index, tier in enumerate(tiers):
        if tier.max_kg is None or month_total_kg <= tier.max_kg:
            return index
    raise RuleError(
        f"month total {fmt_number(month_total_kg)} kg is above the last tier "
        f"({fmt_number(tiers[-1].max_kg)} kg)",
        text=Text(
            "error.kg_above_last_tier",
            {"month_total_kg": fmt_number(month_total_kg), "max_kg": fmt_number(tiers[-1].max_kg)},  # type: ignore[arg-type]
        ),
    )


def _lower_bound(tiers: Sequence[KgTier], index: int) -> Decimal:
    return ZERO if index == 0 else tiers[index - 1].max_kg  # type: ignore[return-value]


def _price(tier: KgTier, customer_class: str) -> Decimal:
    try:
        return tier.prices[customer_class]
    except KeyError:
        raise RuleError(
            f"customer class {customer_class!r} has no price here "
            f"(classes: {', '.join(sorted(tier.prices))})",
            field="customer_class",
        ) from None


@dataclass(frozen=True)
class TieredFee:
    """The fee of a month's packages and kg, with the kg priced in each tier."""

    fee: Decimal
    priced_kg: tuple[tuple[Decimal, Decimal], ...]
    tier: int
    expression: str


def tiered_per_kg_fee(
    packages: int,
    weight_kg: Decimal,
    params: TieredPerKgParams,
    customer_class: str,
    *,
    month_total_kg: Decimal | None = None,
) -> TieredFee:
    """`packages × fixed + kg × price(tier(month total))`; graduated: each tier's kg at its price (spec 7.6).
    `weight_kg` are the month's last kg (`month_total_kg`, by default their own sum)."""
    total = weight_kg if month_total_kg is None else month_total_kg
    if total < weight_kg:
        raise RuleError(
            f"month_total_kg {total} is below the billed weight {weight_kg}", field="month_total_kg"
        )
    if customer_class not in params.fixed_per_package:
        known = ", ".join(sorted(params.fixed_per_package))
        raise RuleError(
            f"customer class {customer_class!r} is not on this rate card (classes: {known})",
            field="customer_class",
            text=Text("error.customer_class_not_on_card", {"customer_class": customer_class, "known": known}),
        )
    fixed = params.fixed_per_package[customer_class]
    tier = tier_index(total, params.tiers)
    if params.mode == "all_units":
        priced = ((weight_kg, _price(params.tiers[tier], customer_class)),)
    else:
        start = total - weight_kg
        slices = []
        for index, band in enumerate(params.tiers[: tier + 1]):
            low = max(start, _lower_bound(params.tiers, index))
            high = total if band.max_kg is None else min(total, band.max_kg)
            if high > low:
                slices.append((high - low, _price(band, customer_class)))
        priced = tuple(slices) or ((ZERO, _price(params.tiers[tier], customer_class)),)
    fee = packages * fixed + sum((kg * price for kg, price in priced), ZERO)
    terms = [f"{packages} × {fmt_number(fixed)}"]
    terms += [f"{fmt_number(kg)} × {fmt_number(price)}" for kg, price in priced]
    return TieredFee(fee=fee, priced_kg=priced, tier=tier, expression=" + ".join(terms))


def bill_tiered_per_kg(
    rows: Iterable[InboundWeight],
    params: TieredPerKgParams | Mapping[str, Any],
    ctx: RuleContext,
    *,
    month_total_kg: Decimal | None = None,
) -> list[ChargeLine]:
    """One line for the seller's month on the line: all its packages and kg at the month's tier (spec 7.6)."""
    params = coerce_params(TieredPerKgParams, params)
    row_list = list(rows)
    if not row_list:
        return []
    packages = 0
    weight = ZERO
    for row in row_list:
        where = describe(row)
        if params.line is not None and row.line != params.line:
            raise RuleError(
                f"{where}: line {row.line!r} is not this rule's line {params.line!r}", field="line"
            )
        packages += check_fact_int(row.packages, "packages", where, ge=0)
        weight += check_fact_decimal(row.weight_kg, "weight_kg", where, ge=0)
    fee = tiered_per_kg_fee(packages, weight, params, ctx.customer_class, month_total_kg=month_total_kg)
    total = weight if month_total_kg is None else month_total_kg
    tier = params.tiers[fee.tier]
    tier_text = tier.label(_lower_bound(params.tiers, fee.tier))
    line_name = f" {params.line}" if params.line else ""
    description_params = {
        "packages": counted("package", packages),
        "weight_kg": fmt_number(weight),
        "month_total_kg": fmt_number(total),
        "tier": tier.label_text(_lower_bound(params.tiers, fee.tier)),
        "customer_class": Text(f"customer_class.{ctx.customer_class}"),
    }
    if params.line:
        description_text = Text("line.tiered_per_kg.named", {**description_params, "line": params.line})
    else:
        description_text = Text("line.tiered_per_kg", description_params)
    return [
        ChargeLine.from_exact(
            code=ctx.charge_code,
            section=ctx.section_or("fulfilment"),
            description=f"Inbound{line_name} line: {plural(packages, 'package')}, {fmt_number(weight)} kg "
            f"(month {fmt_number(total)} kg, tier {tier_text}, {ctx.customer_class})",
            quantity=weight,
            unit="kg",
            unit_price=None,
            exact_amount=fee.fee,
            currency=ctx.currency,
            expression=fee.expression,
            description_text=description_text,
            formula_text=Text("formula.tiered_per_kg", {"expression": fee.expression}),
            inputs={
                "packages": packages,
                "weight_kg": weight,
                "month_total_kg": total,
                "tier": tier_text,
                "customer_class": ctx.customer_class,
                "mode": params.mode,
                "fixed_per_package": params.fixed_per_package[ctx.customer_class],
                "priced_kg": [{"kg": kg, "price_per_kg": price} for kg, price in fee.priced_kg],
            },
            source_refs=refs_of(row_list),
        )
    ]
