"""`cross_border_tax`: the cross-border e-commerce tax, one pass-through line per order (spec 7.5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import CustomsDeclaration, describe, refs_of
from .lines import ChargeLine, RuleContext
from .money import fmt_number
from .params import ParamReader, check_fact_decimal, coerce_params
from .text import Text

DEFAULT_DISCOUNT = Decimal("0.7")
DEFAULT_TARIFF_FACTOR = Decimal(0)


@dataclass(frozen=True)
class CrossBorderTaxParams:
    """`discount` on consumption tax + VAT (0.7) and `tariff_factor` on the tariff (0 within the limit)."""

    discount: Decimal = DEFAULT_DISCOUNT
    tariff_factor: Decimal = DEFAULT_TARIFF_FACTOR

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> CrossBorderTaxParams:
        reader = ParamReader(raw)
        params = cls(
            discount=reader.decimal("discount", ge=0, optional=True, default=DEFAULT_DISCOUNT),
            tariff_factor=reader.decimal("tariff_factor", ge=0, optional=True, default=DEFAULT_TARIFF_FACTOR),
        )
        reader.done()
        return params


@dataclass(frozen=True)
class CrossBorderTax:
    """The tax of one declaration at full precision (spec 7.5)."""

    tariff: Decimal
    consumption_tax: Decimal
    vat: Decimal
    payable: Decimal


def cross_border_tax(
    dutiable_value: Decimal,
    tariff_rate: Decimal,
    consumption_tax_rate: Decimal,
    vat_rate: Decimal,
    *,
    discount: Decimal = DEFAULT_DISCOUNT,
    tariff_factor: Decimal = DEFAULT_TARIFF_FACTOR,
) -> CrossBorderTax:
    """Tariff, consumption tax `(v + t) / (1 − r) × r`, VAT, payable `t × f + (c + vat) × d` (spec 7.5)."""
    if not consumption_tax_rate < 1:
        raise RuleError(
            f"consumption_tax_rate must be below 1, got {consumption_tax_rate}", field="consumption_tax_rate"
        )
    tariff = dutiable_value * tariff_rate
    consumption_tax = (dutiable_value + tariff) / (1 - consumption_tax_rate) * consumption_tax_rate
    vat = (dutiable_value + tariff + consumption_tax) * vat_rate
    payable = tariff * tariff_factor + (consumption_tax + vat) * discount
    return CrossBorderTax(tariff=tariff, consumption_tax=consumption_tax, vat=vat, payable=payable)


def bill_cross_border_tax(
    declarations: Iterable[CustomsDeclaration],
    params: CrossBorderTaxParams | Mapping[str, Any],
    ctx: RuleContext,
) -> list[ChargeLine]:
    """Each declaration its own pass-through line, computed at full precision and rounded once (spec 7.5)."""
    params = coerce_params(CrossBorderTaxParams, params)
    section = ctx.section_or("pass_through")
    if section != "pass_through":
        raise RuleError(
            "cross_border_tax is collected for customs: its section must be pass_through", field="section"
        )
    lines = []
    for declaration in declarations:
        where = describe(declaration)
        value = check_fact_decimal(declaration.dutiable_value, "dutiable_value", where, ge=0)
        tariff_rate = check_fact_decimal(declaration.tariff_rate, "tariff_rate", where, ge=0)
        consumption_rate = check_fact_decimal(
            declaration.consumption_tax_rate, "consumption_tax_rate", where, ge=0
        )
        vat_rate = check_fact_decimal(declaration.vat_rate, "vat_rate", where, ge=0)
        if not consumption_rate < 1:
            raise RuleError(f"{where}: consumption_tax_rate must be below 1", field="consumption_tax_rate")
        tax = cross_border_tax(
            value,
            tariff_rate,
            consumption_rate,
            vat_rate,
            discount=params.discount,
            tariff_factor=params.tariff_factor,
        )
        expression = (
            f"({fmt_number(tax.consumption_tax)} + {fmt_number(tax.vat)}) × {fmt_number(params.discount)}"
        )
        formula_params = {
            "consumption_tax": fmt_number(tax.consumption_tax),
            "vat": fmt_number(tax.vat),
            "discount": fmt_number(params.discount),
        }
        formula_text = Text("formula.cross_border_tax", formula_params)
        if tax.tariff and params.tariff_factor:
            expression = f"{fmt_number(tax.tariff)} × {fmt_number(params.tariff_factor)} + {expression}"
            formula_text = Text(
                "formula.cross_border_tax.tariff",
                {
                    **formula_params,
                    "tariff": fmt_number(tax.tariff),
                    "tariff_factor": fmt_number(params.tariff_factor),
                },
            )
        lines.append(
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=section,
                description=f"Cross-border e-commerce tax, order {declaration.order_no}",
                quantity=Decimal(1),
                unit="declaration",
                unit_price=None,
                exact_amount=tax.payable,
                currency=ctx.currency,
                expression=expression,
                description_text=Text("line.cross_border_tax", {"order_no": declaration.order_no}),
                formula_text=formula_text,
                inputs={
                    "order_no": declaration.order_no,
                    "dutiable_value": value,
                    "tariff_rate": tariff_rate,
                    "consumption_tax_rate": consumption_rate,
                    "vat_rate": vat_rate,
                    "tariff": tax.tariff,
                    "consumption_tax": tax.consumption_tax,
                    "vat": tax.vat,
                    "discount": params.discount,
                    "tariff_factor": params.tariff_factor,
                },
                source_refs=refs_of([declaration]),
            )
        )
    return lines
