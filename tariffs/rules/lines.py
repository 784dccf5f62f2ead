"""Charge lines, the rule context, and invoice totals with service tax once per rate (spec 2, 7, 9)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import Period
from .money import ZERO, format_amount, minor_units, round_money
from .params import jsonable
from .text import Text

SECTIONS: tuple[str, ...] = ("fulfilment", "storage", "services", "pass_through", "adjustments")
TAXABLE_SECTIONS: tuple[str, ...] = ("fulfilment", "storage", "services", "adjustments")
CUSTOMER_CLASSES: tuple[str, ...] = ("regular", "partner")


def check_section(section: str) -> str:
    if section not in SECTIONS:
        raise RuleError(f"unknown section {section!r} (known: {', '.join(SECTIONS)})", field="section")
    return section


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """One charge: its inputs, formula in real numbers and ledger rows; amount rounded once (spec 2, 7)."""

    code: str
    section: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    amount: Decimal
    currency: str
    formula: str
    inputs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    source_refs: tuple[Hashable, ...] = ()
    # The description and formula as message ids with params (issue 12): `description` and `formula` stay
    # the English text (the fallback, and what the SPEC §12 JSON shows).
    description_text: Text | None = field(default=None, compare=False)
    formula_text: Text | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_section(self.section)
        minor_units(self.currency)
        if not isinstance(self.amount, Decimal) or not isinstance(self.quantity, Decimal):
            raise TypeError("a charge line's amount and quantity must be Decimal")
        if round_money(self.amount, self.currency) != self.amount:
            raise RuleError(f"amount {self.amount} is not rounded to {self.currency}'s minor unit")
        object.__setattr__(self, "amount", round_money(self.amount, self.currency))
        object.__setattr__(self, "source_refs", tuple(self.source_refs))

    @classmethod
    def from_exact(
        cls,
        *,
        code: str,
        section: str,
        description: str,
        quantity: Decimal,
        unit: str,
        unit_price: Decimal | None,
        exact_amount: Decimal,
        currency: str,
        expression: str,
        inputs: Mapping[str, Any] | None = None,
        source_refs: Iterable[Hashable] = (),
        description_text: Text | None = None,
        formula_text: Text | None = None,
    ) -> ChargeLine:
        """Round the full-precision amount once and write the formula as `expression = amount`.

        `formula_text` names the expression's shape; the rounded `amount` is added to its params."""
        amount = round_money(exact_amount, currency)
        if formula_text is not None:
            formula_text = formula_text.with_params(amount=format_amount(amount, currency))
        return cls(
            code=code,
            section=section,
            description=description,
            quantity=quantity,
            unit=unit,
            unit_price=unit_price,
            amount=amount,
            currency=currency,
            formula=f"{expression} = {format_amount(amount, currency)}",
            inputs=dict(inputs or {}),
            source_refs=tuple(source_refs),
            description_text=description_text,
            formula_text=formula_text,
        )

    def as_dict(self, *, detail: bool = False) -> dict[str, Any]:
        """JSON-safe fields (spec 12), decimals as strings; `detail` adds inputs, source refs and the
        description and formula as messages (`{"id", "params"}`, or None)."""
        result: dict[str, Any] = {
            "code": self.code,
            "section": self.section,
            "description": self.description,
            "quantity": f"{self.quantity.normalize():f}",
            "unit": self.unit,
            "unit_price": None if self.unit_price is None else f"{self.unit_price.normalize():f}",
            "amount": format_amount(self.amount, self.currency),
            "formula": self.formula,
        }
        if detail:
            result["currency"] = self.currency
            result["inputs"] = jsonable(self.inputs)
            result["source_refs"] = list(self.source_refs)
            result["description_text"] = (
                None if self.description_text is None else self.description_text.as_dict()
            )
            result["formula_text"] = None if self.formula_text is None else self.formula_text.as_dict()
        return result


@dataclass(frozen=True)
class RuleContext:
    """What a rule needs besides its facts and params: the card's currency, the rule's code and section."""

    charge_code: str
    currency: str
    section: str | None = None
    customer_class: str = "regular"
    period: Period | None = None

    def __post_init__(self) -> None:
        minor_units(self.currency)
        if self.section is not None:
            check_section(self.section)
        if not self.charge_code:
            raise RuleError("a rule needs a charge code", field="charge_code")

    def section_or(self, default: str) -> str:
        return self.section or default

    def require_period(self, kind: str) -> Period:
        if self.period is None:
            raise RuleError(
                f"{kind} needs the billing period (its D is the number of days in the month)",
                text=Text("error.period_required", {"kind": kind}),
            )
        return self.period


def _check_currency(lines: Iterable[ChargeLine], currency: str) -> list[ChargeLine]:
    result = list(lines)
    for line in result:
        if line.currency != currency:
            raise RuleError(f"line {line.code} is in {line.currency}, the invoice in {currency}")
    return result


def section_totals(lines: Iterable[ChargeLine], currency: str) -> dict[str, Decimal]:
    """Sum of the rounded lines of each section, every section present (spec 2, 9)."""
    totals = {section: round_money(ZERO, currency) for section in SECTIONS}
    for line in _check_currency(lines, currency):
        totals[line.section] += line.amount
    return totals


@dataclass(frozen=True)
class TaxAmount:
    """Service tax of one rate: computed once on that rate's taxable subtotal (spec 2, 7.10)."""

    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    """An invoice's section sums, subtotal, service tax per rate and total (spec 9, 12)."""

    currency: str
    sections: Mapping[str, Decimal]
    subtotal: Decimal
    taxable_subtotal: Decimal
    tax_breakdown: tuple[TaxAmount, ...]
    service_tax: Decimal
    total: Decimal


def invoice_totals(
    lines: Iterable[ChargeLine],
    *,
    currency: str,
    service_tax_rate: Decimal = ZERO,
    rate_of: Callable[[ChargeLine], Decimal] | None = None,
) -> InvoiceTotals:
    """Subtotal of all rounded lines; service tax once per rate on non-pass-through lines (spec 2, 7.5)."""
    all_lines = _check_currency(lines, currency)
    sections = section_totals(all_lines, currency)
    subtotal = sum(sections.values(), round_money(ZERO, currency))
    taxable_by_rate: dict[Decimal, Decimal] = {}
    for line in all_lines:
        if line.section not in TAXABLE_SECTIONS:
            continue
        rate = service_tax_rate if rate_of is None else rate_of(line)
        if rate < 0:
            raise RuleError(f"service tax rate must not be negative, got {rate}", field="service_tax_rate")
        taxable_by_rate[rate] = taxable_by_rate.get(rate, ZERO) + line.amount
    breakdown = tuple(
        TaxAmount(rate=rate, taxable=taxable, tax=round_money(taxable * rate, currency))
        for rate, taxable in sorted(taxable_by_rate.items())
        if rate != 0
    )
    service_tax = sum((item.tax for item in breakdown), round_money(ZERO, currency))
    taxable_subtotal = subtotal - sections["pass_through"]
    return InvoiceTotals(
        currency=currency,
        sections=sections,
        subtotal=subtotal,
        taxable_subtotal=taxable_subtotal,
        tax_breakdown=breakdown,
        service_tax=service_tax,
        total=subtotal + service_tax,
    )
