"""`per_unit`: value-added services at a fixed price per piece or package, or at cost (spec 7.4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import ServiceUse, describe, describe_text, refs_of
from .lines import ChargeLine, RuleContext
from .money import ZERO, fmt_number
from .params import ParamReader, check_fact_decimal, coerce_params
from .text import Text

AT_COST_SECTIONS = ("services", "pass_through")
MAX_AMOUNTS_IN_FORMULA = 12


@dataclass(frozen=True)
class FixedPrice:
    """A service billed at `price` per `unit` (piece, package, carton ...)."""

    price: Decimal
    unit: str = "piece"
    description: str = ""


@dataclass(frozen=True)
class AtCost:
    """A service billed at the ledger's amount; customs-collected ones go to `pass_through`."""

    section: str = "services"
    description: str = ""


@dataclass(frozen=True)
class PerUnitParams:
    """Service codes with a fixed price (`prices`) or billed at cost (`at_cost`) (spec 7.4)."""

    prices: Mapping[str, FixedPrice]
    at_cost: Mapping[str, AtCost]

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> PerUnitParams:
        reader = ParamReader(raw)
        prices: dict[str, FixedPrice] = {}
        price_reader = reader.mapping("prices", optional=True)
        if price_reader is not None:
            for code in price_reader.raw:
                item = price_reader.mapping(str(code))
                assert item is not None
                prices[str(code)] = FixedPrice(
                    price=item.decimal("price", ge=0),
                    unit=item.text("unit", optional=True, default="piece"),
                    description=item.text("description", optional=True, default=""),
                )
                item.done()
        at_cost: dict[str, AtCost] = {}
        cost_reader = reader.mapping("at_cost", optional=True)
        if cost_reader is not None:
            for code in cost_reader.raw:
                item = cost_reader.mapping(str(code))
                assert item is not None
                at_cost[str(code)] = AtCost(
                    section=item.choice("section", AT_COST_SECTIONS, default="services"),
                    description=item.text("description", optional=True, default=""),
                )
                item.done()
        reader.done()
        if not prices and not at_cost:
            raise RuleError("prices: give at least one service code (in prices or at_cost)", field="prices")
        both = sorted(set(prices) & set(at_cost))
        if both:
            raise RuleError(f"at_cost.{both[0]}: the code also has a fixed price", field=f"at_cost.{both[0]}")
        return cls(prices=prices, at_cost=at_cost)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted({*self.prices, *self.at_cost}))


def bill_per_unit(
    uses: Iterable[ServiceUse], params: PerUnitParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line per service code in the month: quantity × price, or the sum of at-cost amounts (spec 7.4)."""
    params = coerce_params(PerUnitParams, params)
    by_code: dict[str, list[ServiceUse]] = {}
    for use in uses:
        if use.service_code not in params.prices and use.service_code not in params.at_cost:
            raise RuleError(
                f"{describe(use)}: unknown service code {use.service_code!r} "
                f"(this rate card knows: {', '.join(params.codes)})",
                field="service_code",
                text=Text(
                    "error.unknown_service_code",
                    {
                        "where": describe_text(use),
                        "service_code": str(use.service_code),
                        "known": ", ".join(params.codes),
                    },
                ),
            )
        by_code.setdefault(use.service_code, []).append(use)
    lines = []
    for code in sorted(by_code):
        rows = by_code[code]
        quantity = sum(
            (check_fact_decimal(row.quantity, "quantity", describe(row), ge=0) for row in rows), ZERO
        )
        if code in params.prices:
            fixed = params.prices[code]
            lines.append(
                ChargeLine.from_exact(
                    code=f"{ctx.charge_code}.{code}",
                    section=ctx.section_or("services"),
                    description=fixed.description or code,
                    quantity=quantity,
                    unit=fixed.unit,
                    unit_price=fixed.price,
                    exact_amount=quantity * fixed.price,
                    currency=ctx.currency,
                    expression=f"{fmt_number(quantity)} × {fmt_number(fixed.price)}",
                    description_text=Text(
                        "line.per_unit", {"service_code": code, "description": fixed.description or code}
                    ),
                    formula_text=Text(
                        "formula.per_unit",
                        {"quantity": fmt_number(quantity), "price": fmt_number(fixed.price)},
                    ),
                    inputs={"service_code": code, "rows": len(rows), "quantity": quantity},
                    source_refs=refs_of(rows),
                )
            )
            continue
        at_cost = params.at_cost[code]
        amounts = [check_fact_decimal(row.amount, "amount", describe(row), ge=0) for row in rows]
        if len(amounts) <= MAX_AMOUNTS_IN_FORMULA:
            expression = " + ".join(fmt_number(amount) for amount in amounts)
            formula_text = Text("formula.per_unit.at_cost", {"amounts": expression})
        else:
            expression = f"Σ of {len(amounts)} ledger amounts"
            formula_text = Text("formula.per_unit.at_cost_many", {"rows": len(amounts)})
        lines.append(
            ChargeLine.from_exact(
                code=f"{ctx.charge_code}.{code}",
                section=at_cost.section,
                description=at_cost.description or code,
                quantity=quantity,
                unit="at_cost",
                unit_price=None,
                exact_amount=sum(amounts, ZERO),
                currency=ctx.currency,
                expression=expression,
                description_text=Text(
                    "line.per_unit.at_cost",
                    {"service_code": code, "description": at_cost.description or code},
                ),
                formula_text=formula_text,
                inputs={"service_code": code, "rows": len(rows), "quantity": quantity, "at_cost": True},
                source_refs=refs_of(rows),
            )
        )
    return lines
