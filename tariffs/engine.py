"""The fee engine: a month's ledger facts and a rate card version's rules give charge lines and totals.

Pure (no ORM): the monthly close, ``simulate_invoice`` and the quote page all call ``compute_invoice``
with facts they built from the database, from ledger files or from a form (SPEC §7, §9, §12).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tariffs.rules import (
    ChargeLine,
    Period,
    RuleContext,
    RuleError,
    StockItemMonth,
    Text,
    bill_rule,
    format_amount,
    get_kind,
    invoice_totals,
    validate_params,
)
from tariffs.rules.lines import InvoiceTotals
from tariffs.rules.money import ZERO
from tariffs.rules.registry import accepts_all

LEDGERS = ("stock", "outbound", "vas", "tax", "inbound", "receiving")


@dataclass(frozen=True)
class RuleSpec:
    """One fee rule as the engine needs it (a ``FeeRule`` row or a preset rule)."""

    kind: str
    charge_code: str
    params: Mapping[str, Any]
    section: str | None = None
    description: str = ""
    key: Any = None  # whatever names the rule to the caller (a ``FeeRule`` primary key); lines carry it


@dataclass
class MonthFacts:
    """One seller's facts for one month, ledger by ledger (``tariffs.rules.facts`` dataclasses)."""

    period: Period
    ledgers: dict[str, Iterable[Any]] = field(default_factory=dict)

    def rows(self, ledger: str) -> list[Any]:
        return list(self.ledgers.get(ledger, ()))


@dataclass(frozen=True)
class Computation:
    """The computed invoice: its lines (in rule order) and totals."""

    period: Period
    currency: str
    customer_class: str
    lines: tuple[ChargeLine, ...]
    totals: InvoiceTotals
    not_billed: tuple[str, ...] = ()  # ledger kinds present that the card deliberately does not bill
    rule_keys: tuple[Any, ...] = ()  # per line: the ``RuleSpec.key`` of the rule that made it

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of SPEC §12 (amounts as strings in the currency's minor unit)."""
        money = lambda amount: format_amount(amount, self.currency)  # noqa: E731
        return {
            "currency": self.currency,
            "period": str(self.period),
            "lines": [
                {
                    "code": line.code,
                    "section": line.section,
                    "description": line.description,
                    "quantity": str(line.quantity),
                    "unit": line.unit,
                    "unit_price": None if line.unit_price is None else str(line.unit_price),
                    "amount": money(line.amount),
                    "formula": line.formula,
                }
                for line in self.lines
            ],
            "sections": {name: money(amount) for name, amount in self.totals.sections.items()},
            "subtotal": money(self.totals.subtotal),
            "service_tax": money(self.totals.service_tax),
            "total": money(self.totals.total),
            "not_billed": list(self.not_billed),
        }


class UnbilledRowsError(RuleError):
    """Ledger rows that no rule of the card bills: refused, since nothing may be lost."""


def compute_invoice(
    facts: MonthFacts,
    rules: Iterable[RuleSpec],
    *,
    currency: str,
    customer_class: str = "regular",
    service_tax_rate: Decimal = ZERO,
    not_billed_kinds: Iterable[str] = (),
) -> Computation:
    """Bill every ledger row through the rules that accept it; minimum-charge rules run last (SPEC §7.10).

    Rows of a kind in ``not_billed_kinds`` (one the card deliberately does not bill and has no rule for)
    are reported in ``Computation.not_billed``; rows of a kind neither priced nor listed are an error
    (SPEC §9).
    """
    rules = list(rules)
    not_billed_kinds = set(not_billed_kinds)
    not_billed: list[str] = []
    unknown = set(facts.ledgers) - set(LEDGERS)
    if unknown:
        raise RuleError(
            f"unknown ledger kind(s): {', '.join(sorted(unknown))}",
            text=Text("error.unknown_ledgers", {"ledgers": ", ".join(sorted(unknown))}),
        )
    typed = [(rule, get_kind(rule.kind), validate_params(rule.kind, rule.params)) for rule in rules]
    lines: list[ChargeLine] = []
    rule_keys: list[Any] = []
    for ledger in LEDGERS:
        rows = facts.rows(ledger)
        if not rows:
            continue
        takers = [(rule, kind, params) for rule, kind, params in typed if kind.ledger == ledger]
        if not takers and ledger in not_billed_kinds:
            not_billed.append(ledger)
            continue
        if not takers:
            raise UnbilledRowsError(
                f"the rate card has no rule for the {ledger} ledger and does not list it as not billed "
                f"({ledger_rows(rows)} rows given)",
                text=Text(
                    "error.ledger_not_priced", {"ledger": Text(f"ledger.{ledger}"), "rows": ledger_rows(rows)}
                ),
            )
        billed = bytearray(len(rows))  # 1 where a rule took the row; every row must be taken
        all_billed = False
        for rule, kind, params in takers:
            if kind.accepts is accepts_all:
                accepted_rows = rows
                all_billed = True
            else:
                accepted = [i for i, row in enumerate(rows) if kind.accepts(params, row)]
                for i in accepted:
                    billed[i] = 1
                accepted_rows = [rows[i] for i in accepted]
            if not accepted_rows:
                continue
            ctx = RuleContext(
                charge_code=rule.charge_code,
                currency=currency,
                section=rule.section or None,
                customer_class=customer_class,
                period=facts.period,
            )
            made = bill_rule(rule.kind, accepted_rows, params, ctx)
            lines.extend(made)
            rule_keys.extend([rule.key] * len(made))
        if not all_billed and 0 in billed:
            missing = [rows[i] for i, done in enumerate(billed) if not done]
            sample = ", ".join(describe_row(row) for row in missing[:5])
            raise UnbilledRowsError(
                f"{ledger_rows(missing)} {ledger} row(s) are billed by no rule of the rate card: {sample}",
                text=Text(
                    "error.rows_not_billed",
                    {"ledger": Text(f"ledger.{ledger}"), "rows": ledger_rows(missing), "sample": sample},
                ),
            )
    for rule, kind, params in typed:
        if kind.ledger is None:  # rules over the other lines (minimum monthly charge)
            ctx = RuleContext(
                charge_code=rule.charge_code,
                currency=currency,
                section=rule.section or None,
                customer_class=customer_class,
                period=facts.period,
            )
            made = bill_rule(rule.kind, list(lines), params, ctx)
            lines.extend(made)
            rule_keys.extend([rule.key] * len(made))
    totals = invoice_totals(lines, currency=currency, service_tax_rate=service_tax_rate)
    return Computation(
        period=facts.period,
        currency=currency,
        customer_class=customer_class,
        lines=tuple(lines),
        totals=totals,
        not_billed=tuple(not_billed),
        rule_keys=tuple(rule_keys),
    )


def ledger_rows(facts: Iterable[Any]) -> int:
    """How many ledger rows the facts stand for: an item's month of stock (``StockItemMonth``) its days."""
    return sum(fact.days if fact.__class__ is StockItemMonth else 1 for fact in facts)


def describe_row(row: Any) -> str:
    for attr in ("service", "service_code", "line", "order_no", "item_id"):
        value = getattr(row, attr, None)
        if value is not None:
            ref = getattr(row, "ref", None)
            return f"{attr} {value!r}" + (f" (row {ref})" if ref is not None else "")
    return repr(row)
