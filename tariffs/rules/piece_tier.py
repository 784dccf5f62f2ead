"""`piece_tier`: counting and detailed inspection per unit, by the receiving line's units (spec 7.7)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import ReceivingService, describe, refs_of
from .lines import ChargeLine, RuleContext
from .money import fmt_number, plural
from .params import ParamReader, check_fact_decimal, check_fact_int, coerce_params
from .text import Text, counted

DEFAULT_ACCESSORY_BELOW_CNY = Decimal(10)
KNOWN_SERVICES = ("count", "inspect")  # services whose names the message catalog has (`service.count`)


@dataclass(frozen=True)
class PieceTier:
    """Up to `max_units` inclusive (`None`: open-ended): `price` a unit, `accessory_price` for accessories."""

    max_units: int | None
    price: Decimal
    accessory_price: Decimal


@dataclass(frozen=True)
class PieceTierParams:
    """The receiving `service` billed (count, inspect), its tiers, the accessory limit in CNY (spec 7.7)."""

    service: str
    tiers: tuple[PieceTier, ...]
    accessory_below_cny: Decimal = DEFAULT_ACCESSORY_BELOW_CNY

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> PieceTierParams:
        reader = ParamReader(raw)
        service = reader.text("service")
        tiers = []
        previous: int | None = 0
        tier_readers = reader.items("tiers")
        for index, tier_reader in enumerate(tier_readers):
            max_units = tier_reader.integer("max_units", ge=1, optional=True)
            name = tier_reader.name("max_units")
            if previous is None or (max_units is not None and max_units <= previous):
                raise RuleError(f"{name}: tiers must rise, each above the one before", field=name)
            if max_units is None and index != len(tier_readers) - 1:
                raise RuleError(f"{name}: only the last tier may be open-ended", field=name)
            tiers.append(
                PieceTier(
                    max_units=max_units,
                    price=tier_reader.decimal("price", ge=0),
                    accessory_price=tier_reader.decimal("accessory_price", ge=0),
                )
            )
            tier_reader.done()
            previous = max_units
        params = cls(
            service=service,
            tiers=tuple(tiers),
            accessory_below_cny=reader.decimal(
                "accessory_below_cny", gt=0, optional=True, default=DEFAULT_ACCESSORY_BELOW_CNY
            ),
        )
        reader.done()
        return params


@dataclass(frozen=True)
class PiecePrice:
    """The price a unit for one receiving line, and why."""

    tier: int
    tier_label: str
    accessory: bool
    price: Decimal


def piece_price(units: int, unit_value_cny: Decimal, params: PieceTierParams) -> PiecePrice:
    """Tier by the line's unit count (1–2, 3–10 ...); accessory when a unit is worth < 10 CNY (spec 7.7)."""
    if units < 1:
        raise RuleError(f"units must be at least 1, got {units}", field="units")
    lower = 1
    for index, tier in enumerate(params.tiers):
        if tier.max_units is None or units <= tier.max_units:
            label = f"> {lower - 1}" if tier.max_units is None else f"{lower}–{tier.max_units}"
            accessory = unit_value_cny < params.accessory_below_cny
            price = tier.accessory_price if accessory else tier.price
            return PiecePrice(tier=index, tier_label=label, accessory=accessory, price=price)
        lower = tier.max_units + 1
    raise RuleError(
        f"{units} units is above the last tier ({params.tiers[-1].max_units} units)",
        field="units",
        text=Text(
            "error.units_above_last_tier", {"units": units, "max_units": params.tiers[-1].max_units or 0}
        ),
    )


def service_text(service: str) -> Text | str:
    """A receiving service's name as a message (`service.count`), or the code capitalised if unknown."""
    return Text(f"service.{service}") if service in KNOWN_SERVICES else service.capitalize()


def bill_piece_tier(
    rows: Iterable[ReceivingService], params: PieceTierParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """`units × price(tier(units), accessory?)` per receiving line; same-price lines share a charge line."""
    params = coerce_params(PieceTierParams, params)
    groups: dict[tuple[int, bool], tuple[PiecePrice, list[ReceivingService]]] = {}
    for row in rows:
        where = describe(row)
        if row.service != params.service:
            raise RuleError(
                f"{where}: service {row.service!r} is not this rule's service {params.service!r}",
                field="service",
            )
        units = check_fact_int(row.units, "units", where, ge=1)
        value = check_fact_decimal(row.unit_value_cny, "unit_value_cny", where, ge=0)
        price = piece_price(units, value, params)
        groups.setdefault((price.tier, price.accessory), (price, []))[1].append(row)
    lines = []
    for key in sorted(groups):
        price, members = groups[key]
        units = sum(row.units or 0 for row in members)
        accessory = ", accessory" if price.accessory else ""
        description_text = Text(
            "line.piece_tier.accessory" if price.accessory else "line.piece_tier",
            {
                "service": service_text(params.service),
                "tier": price.tier_label,
                "receiving_lines": counted("receiving_line", len(members)),
            },
        )
        lines.append(
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=ctx.section_or("services"),
                description=f"{params.service.capitalize()}: {price.tier_label} units a line{accessory}: "
                f"{plural(len(members), 'receiving line')}",
                quantity=Decimal(units),
                unit="unit",
                unit_price=price.price,
                exact_amount=units * price.price,
                currency=ctx.currency,
                expression=f"{units} × {fmt_number(price.price)}",
                description_text=description_text,
                formula_text=Text("formula.piece_tier", {"units": units, "price": fmt_number(price.price)}),
                inputs={
                    "service": params.service,
                    "tier": price.tier_label,
                    "accessory": price.accessory,
                    "units_per_line": [row.units for row in members],
                },
                source_refs=refs_of(members),
            )
        )
    return lines
