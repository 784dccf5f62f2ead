"""What a statement and a credit note print (SPEC §9-§11; issue 13), as plain values already formatted in the
reader's language: the parties, the period and status, the sections, the tax per rate, the lines with their
formulas, the pass-through lines, the month's stored volume, the payment and dispute terms.

Japan's qualified invoice (適格請求書): a JPY document prints the operator's registration number (T + 13
digits), the issue date, the recipient, the lines with those at a reduced rate marked ※, and per rate the
taxable amount and the tax rounded once (``Invoice.tax_breakdown``). A line's rate is the card's service tax
rate (``inputs["tax_rate"]`` when a line states its own); pass-through lines are outside the service tax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from billing import selectors
from billing.exports import plain_number, text_of
from billing.models import CreditNote, Invoice, InvoiceLine
from billing.statements.chart import daily_volume_svg
from inventory.ledgers.store_facts import rows_in_force
from portal.money import MINOR_UNITS, round_money
from tariffs.rules import Period
from tariffs.rules.lines import SECTIONS, TAXABLE_SECTIONS

ZERO = Decimal(0)
JAPANESE_REDUCED_MARK = "※"


# --- Numbers and dates in the reader's language ---------------------------------------------------------


def group_digits(value: Decimal, language: str) -> str:
    """``1,234.50``; Vietnamese writes ``1.234,50`` (GLOSSARY "Numbers and dates")."""
    text = f"{value:,f}"
    if language == "vi":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def money(amount: Decimal | str | None, currency: str, language: str) -> str:
    """An amount in the currency's minor unit, digits grouped (``1,234.50``; the code is printed beside)."""
    if amount is None:
        return "—"
    return group_digits(round_money(Decimal(str(amount)), currency), language)


def number(value: Decimal | None, language: str) -> str:
    """A quantity or unit price as stored, without trailing zeros."""
    if value is None:
        return "—"
    return group_digits(Decimal(plain_number(value)), language)


def unit_price(value: Decimal | None, currency: str, language: str) -> str:
    """A unit price with at least the currency's minor unit (``1.50``), more places when it has them."""
    if value is None:
        return "—"
    places = max(MINOR_UNITS.get(currency, 2), -Decimal(plain_number(value)).as_tuple().exponent)
    return group_digits(value.quantize(Decimal(1).scaleb(-places)), language)


def day(value: date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else "—"


def percent(rate: Decimal, language: str) -> str:
    return f"{group_digits(Decimal(plain_number(rate * 100)), language)}%"


def unit_label(unit: str) -> str:
    labels = {
        "cbm_day": pgettext("unit", "CBM-day"),
        "cbm_month": pgettext("unit", "CBM-month"),
        "parcel": pgettext("unit", "parcel"),
        "package": pgettext("unit", "package"),
        "piece": pgettext("unit", "piece"),
        "unit": pgettext("unit", "unit"),
        "order": pgettext("unit", "order"),
        "carton": pgettext("unit", "carton"),
        "kg": "kg",
        "month": pgettext("unit", "month"),
        "declaration": pgettext("unit", "declaration"),
        "at_cost": pgettext("unit", "at cost"),
        "item": pgettext("unit", "item"),
    }
    return labels.get(unit, unit)


def section_labels() -> dict[str, str]:
    return {
        "fulfilment": _("Fulfilment"),
        "storage": _("Storage"),
        "services": _("Value-added and receiving services"),
        "pass_through": _("Pass-through taxes (customs)"),
        "adjustments": _("Adjustments"),
    }


# --- Parties ------------------------------------------------------------------------------------------


def operator_block(operator) -> dict[str, Any]:
    return {
        "name": operator.name,
        "legal_name": operator.legal_name or operator.name,
        "address": operator.address,
        "country": operator.get_country_display() if operator.country else "",
        "registration_number": operator.registration_number,
        "tax_id": operator.tax_id,
        "invoice_registration_number": operator.invoice_registration_number,
        "bank": [
            (label, value)
            for label, value in (
                (_("Bank"), operator.bank_name),
                (_("Account name"), operator.bank_account_name),
                (_("Account number"), operator.bank_account_number),
                (_("SWIFT / BIC"), operator.bank_swift),
            )
            if value
        ],
        "bank_details": operator.bank_details,
    }


def seller_block(seller) -> dict[str, Any]:
    return {
        "name": seller.name,
        "legal_name": seller.legal_name or seller.name,
        "code": seller.code,
        "tax_id": seller.tax_id,
        "country": seller.get_country_display() if seller.country else "",
        "email": seller.main_billing_email,
    }


# --- Tax per line and per rate (qualified invoice) -------------------------------------------------------


def line_tax_rate(line: InvoiceLine, card_rate: Decimal) -> Decimal | None:
    """The service tax rate of a line (None: outside the service tax, as pass-through taxes are)."""
    if line.section not in TAXABLE_SECTIONS:
        return None
    stated = (line.inputs or {}).get("tax_rate") if isinstance(line.inputs, dict) else None
    if stated is not None:
        try:
            return Decimal(str(stated))
        except ArithmeticError:
            pass
    return card_rate


def standard_rate(invoice: Invoice) -> Decimal:
    rates = [Decimal(item["rate"]) for item in invoice.tax_breakdown or []]
    return max([invoice.rate_card.service_tax_rate, *rates])


@dataclass
class TaxRow:
    rate: str
    reduced: bool
    taxable: str
    tax: str
    gross: str = ""


def tax_rows(invoice: Invoice, language: str) -> list[TaxRow]:
    standard = standard_rate(invoice)
    rows = []
    for item in invoice.tax_breakdown or []:
        rate = Decimal(item["rate"])
        taxable, tax = Decimal(item["taxable"]), Decimal(item["tax"])
        rows.append(
            TaxRow(
                rate=percent(rate, language),
                reduced=0 < rate < standard,
                taxable=money(taxable, invoice.currency, language),
                tax=money(tax, invoice.currency, language),
                gross=money(taxable + tax, invoice.currency, language),
            )
        )
    return rows


# --- The month's stored volume -----------------------------------------------------------------------


def stock_days(invoice: Invoice) -> list[tuple[date, Decimal, int]]:
    """Per day of the month: Σ daily volume (m³) and Σ units of the warehouse's stock rows in force."""
    period = Period(invoice.period.year, invoice.period.month)
    per_day = {
        row["business_date"]: row
        for row in rows_in_force(
            "stock",
            seller=invoice.seller,
            warehouse=invoice.warehouse,
            period=period,
            service_line=invoice.service_line,
        )
        .order_by()
        .values("business_date")
        .annotate(volume=Sum("daily_volume_m3"), units=Sum("stock_qty"))
    }
    days = []
    current = period.first_day
    while current < period.next_first_day:
        row = per_day.get(current)
        days.append((current, row["volume"] if row else ZERO, row["units"] if row else 0))
        current += timedelta(days=1)
    return days


def stock_summary(invoice: Invoice, language: str) -> dict[str, Any] | None:
    days = stock_days(invoice)
    stocked = [d for d in days if d[1] > 0]
    if not stocked:
        return None
    total = sum((d[1] for d in days), ZERO)
    peak = max(days, key=lambda d: d[1])
    m3 = Decimal("0.001")
    return {
        "cbm_days": group_digits(total.quantize(m3), language),
        "average": group_digits((total / len(days)).quantize(m3), language),
        "peak": group_digits(peak[1].quantize(m3), language),
        "peak_day": day(peak[0]),
        "days_stocked": len(stocked),
        "days": len(days),
        "last_units": group_digits(Decimal(days[-1][2]), language),
        "svg": daily_volume_svg([d[1] for d in days], first=days[0][0], language=language),
    }


# --- Lines -----------------------------------------------------------------------------------------------


@dataclass
class LineRow:
    position: int
    code: str
    description: str
    formula: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    tax_rate: str = ""
    reduced: bool = False


@dataclass
class SectionRows:
    name: str
    label: str
    amount: str
    lines: list[LineRow] = field(default_factory=list)


def line_rows(invoice: Invoice, language: str, *, qualified: bool) -> dict[str, SectionRows]:
    """Every line with its formula in the reader's language, by section (the engine's order)."""
    labels = section_labels()
    stored = invoice.sections or {}
    sections = {
        name: SectionRows(
            name=name, label=labels[name], amount=money(stored.get(name, "0"), invoice.currency, language)
        )
        for name in SECTIONS
    }
    card_rate = invoice.rate_card.service_tax_rate
    standard = standard_rate(invoice) if qualified else ZERO
    lines = invoice.lines.only(
        "invoice",
        "position",
        "code",
        "section",
        "description",
        "description_text",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "formula",
        "formula_text",
        "inputs",
    ).order_by("position")
    for line in lines:
        rate = line_tax_rate(line, card_rate) if qualified else None
        row = LineRow(
            position=line.position,
            code=line.code,
            description=text_of(line.description_text, line.description),
            formula=text_of(line.formula_text, line.formula),
            quantity=number(line.quantity, language),
            unit=unit_label(line.unit),
            unit_price=unit_price(line.unit_price, invoice.currency, language),
            amount=money(line.amount, invoice.currency, language),
            tax_rate="" if rate is None else percent(rate, language),
            reduced=rate is not None and 0 < rate < standard,
        )
        sections.setdefault(
            line.section, SectionRows(name=line.section, label=line.section, amount="")
        ).lines.append(row)
    return sections


# --- Documents -------------------------------------------------------------------------------------------


def is_qualified(document) -> bool:
    """A JPY document carries the fields of Japan's qualified invoice system."""
    return document.currency == "JPY"


def dispute_deadline(invoice: Invoice) -> date | None:
    if not invoice.issue_date:
        return None
    return invoice.issue_date + timedelta(days=invoice.operator.dispute_window_days)


def invoice_title(invoice: Invoice) -> str:
    if invoice.kind == Invoice.Kind.SUPPLEMENTARY:
        return _("Supplementary statement")
    return _("Monthly statement")


def invoice_context(invoice: Invoice, language: str, *, today: date | None = None) -> dict[str, Any]:
    """Everything the statement of ``invoice`` prints, in ``language``."""
    invoice = (
        Invoice.objects.select_related(
            "operator", "seller", "warehouse", "service_line", "rate_card", "rate_card_version", "original"
        )
        .filter(pk=invoice.pk)
        .get()
    )
    currency = invoice.currency
    qualified = is_qualified(invoice)
    with translation.override(language):
        period = date_format(invoice.period, "YEAR_MONTH_FORMAT")
        sections = line_rows(invoice, language, qualified=qualified)
        pass_through = sections.pop("pass_through")
        draft = invoice.status == Invoice.Status.DRAFT
        label = invoice.number or _("DRAFT %(id)s") % {"id": invoice.pk}
        credit = selectors.credit_balance(invoice.seller, currency)
        credited = invoice.amount_credited
        paid = invoice.amount_paid
        context = {
            "kind": "statement",
            "title": invoice_title(invoice),
            "draft": draft,
            "draft_label": _("DRAFT"),
            "label": label,
            "header": f"{invoice.operator.name} · {label}",
            "currency": currency,
            "qualified": qualified,
            "operator": operator_block(invoice.operator),
            "seller": seller_block(invoice.seller),
            "facts": [
                (_("Statement number"), label),
                (_("Period"), period),
                (
                    _("Status"),
                    pgettext("statement status", "Draft")
                    if draft
                    else pgettext("statement status", "Issued"),
                ),
                (_("Issue date"), day(invoice.issue_date)),
                (_("Due date"), day(invoice.due_date)),
                (_("Currency"), currency),
                (_("Service line"), f"{invoice.warehouse.code} / {invoice.service_line.name}"),
                (
                    _("Rate card"),
                    f"{invoice.rate_card.code} v{invoice.rate_card_version.version}",
                ),
                *([(_("Completes invoice"), invoice.original.number or "—")] if invoice.original_id else []),
            ],
            "period": period,
            "issue_date": day(invoice.issue_date),
            "due_date": day(invoice.due_date),
            "summary": [(s.label, s.amount) for s in sections.values()]
            + [(section_labels()["pass_through"], pass_through.amount)],
            "subtotal": money(invoice.subtotal, currency, language),
            "service_tax": money(invoice.service_tax, currency, language),
            "total": money(invoice.total, currency, language),
            "tax_rows": tax_rows(invoice, language),
            "credited": money(credited, currency, language) if credited else "",
            "paid": money(paid, currency, language) if paid else "",
            "balance": money(invoice.balance, currency, language),
            "credit_balance": money(credit, currency, language),
            "has_credit_balance": credit > 0,
            "sections": [s for s in sections.values() if s.lines],
            "pass_through": pass_through,
            "pass_through_note": _(
                "Duties and taxes collected on your behalf and paid to customs: outside the service tax."
            ),
            "no_charge": _("No charge this month."),
            "no_pass_through": _("No pass-through tax this month."),
            "line_count": sum(len(s.lines) for s in sections.values()) + len(pass_through.lines),
            "stock": stock_summary(invoice, language),
            "dispute_deadline": day(dispute_deadline(invoice)),
            "dispute_days": invoice.operator.dispute_window_days,
            "not_billed": list(invoice.not_billed or []),
            "reduced_mark": JAPANESE_REDUCED_MARK,
            "generated": day(today) if today else "",
        }
    return context


def credit_note_context(note: CreditNote, language: str) -> dict[str, Any]:
    """What a credit note prints: the invoice it corrects, each credited amount with the line it corrects,
    and, for a JPY note, the tax included per rate (rounded once per rate)."""
    note = CreditNote.objects.select_related("operator", "seller", "invoice__rate_card").get(pk=note.pk)
    invoice = note.invoice
    currency = note.currency
    qualified = is_qualified(note)
    with translation.override(language):
        card_rate = invoice.rate_card.service_tax_rate
        standard = standard_rate(invoice)
        draft = note.status == CreditNote.Status.DRAFT
        label = note.number or _("DRAFT %(id)s") % {"id": note.pk}
        rows = []
        gross_by_rate: dict[Decimal | None, Decimal] = {}
        for line in note.lines.select_related("invoice_line").order_by("position"):
            corrected = line.invoice_line
            if corrected is not None:
                rate = line_tax_rate(corrected, card_rate)
            else:
                rate = standard if standard > 0 else None
            gross_by_rate[rate] = gross_by_rate.get(rate, ZERO) + line.amount
            rows.append(
                {
                    "position": line.position,
                    "description": line.description,
                    "corrects": (
                        f"#{corrected.position} " + text_of(corrected.description_text, corrected.description)
                        if corrected
                        else ""
                    ),
                    "corrects_amount": money(corrected.amount, currency, language) if corrected else "",
                    "amount": money(line.amount, currency, language),
                    "tax_rate": "" if rate is None else percent(rate, language),
                    "reduced": rate is not None and 0 < rate < standard,
                }
            )
        tax_lines = []
        for rate, gross in sorted(gross_by_rate.items(), key=lambda item: (item[0] is None, item[0] or 0)):
            if rate is None or rate == 0:
                continue
            tax = round_money(gross * rate / (1 + rate), currency)
            tax_lines.append(
                TaxRow(
                    rate=percent(rate, language),
                    reduced=0 < rate < standard,
                    taxable=money(gross - tax, currency, language),
                    tax=money(tax, currency, language),
                    gross=money(gross, currency, language),
                )
            )
        untaxed = gross_by_rate.get(None, ZERO)
        context = {
            "kind": "credit_note",
            "title": _("Credit note"),
            "draft": draft,
            "draft_label": _("DRAFT"),
            "label": label,
            "header": f"{note.operator.name} · {label}",
            "currency": currency,
            "qualified": qualified,
            "operator": operator_block(note.operator),
            "seller": seller_block(note.seller),
            "facts": [
                (_("Credit note number"), label),
                (_("Issue date"), day(note.issue_date)),
                (_("Corrects invoice"), invoice.number or "—"),
                (_("Invoice date"), day(invoice.issue_date)),
                (_("Period"), date_format(invoice.period, "YEAR_MONTH_FORMAT")),
                (_("Currency"), currency),
            ],
            "invoice_number": invoice.number or "—",
            "issue_date": day(note.issue_date),
            "reason": note.reason,
            "rows": rows,
            "tax_rows": tax_lines,
            "untaxed": money(untaxed, currency, language) if untaxed else "",
            "total": money(note.total, currency, language),
            "invoice_total": money(invoice.total, currency, language),
            "reduced_mark": JAPANESE_REDUCED_MARK,
        }
    return context
