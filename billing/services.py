"""Billing's state changes after the close (SPEC §9): issue, send, pay, credit, supplement.

Every service takes keyword arguments and ``now`` (time is a parameter), runs in one transaction and writes
an audit event per change (``portal.audit.record``). Locks are taken in one order everywhere, so two services
never wait on each other in a circle: the warehouse's ledger lock (issue only), then the seller's row, then
invoices, then credit notes.

- ``issue_invoice``: draft -> issued, with a gap-free number per operator and year (django-sequences: the
  counter row stays locked until the transaction ends, so a rollback leaves no gap and two issuers never share
  a number), issue and due dates, the ledger month closed and the rate card version frozen in one transaction.
- ``record_send``, ``mark_overdue``: delivery and payment status (the only fields an issued invoice changes).
- ``create_credit_note``/``issue_credit_note``: corrections of over-billing, never more than the invoice.
- ``create_supplementary_invoice``: under-billing, a draft that references the original, issued like any.
- ``record_payment``, ``apply_credit_balance``: payments allocated oldest first (or as finance chooses); what
  is left is the seller's credit balance, offered on its next invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from sequences import get_next_value

from billing import adjustments, close
from billing.models import Allocation, CreditNote, CreditNoteLine, Invoice, InvoiceLine, Payment
from billing.selectors import open_invoices, unallocated_payments
from inventory.ledgers.imports import close_ledger_period, lock_ledgers
from portal import audit
from portal.models import Seller
from portal.money import MINOR_UNITS, round_money
from tariffs.rules import ChargeLine, RuleError, invoice_totals
from tariffs.services import freeze_version

ZERO = Decimal(0)


class BillingError(ValidationError):
    """A billing action refused, with a message for the person who asked (admin shows it as it is)."""


# --- numbers -----------------------------------------------------------------------------------------------


def invoice_sequence_name(operator_id: int, year: int) -> str:
    return f"invoice-{operator_id}-{year}"


def credit_note_sequence_name(operator_id: int, year: int) -> str:
    return f"credit-note-{operator_id}-{year}"


def _next_number(sequence: str, prefix: str, year: int) -> tuple[str, int]:
    """The next number of a series, inside the caller's transaction (the counter row stays locked)."""
    value = get_next_value(sequence)
    return f"{prefix}-{year}-{value:06d}", value


# --- issue -------------------------------------------------------------------------------------------------


def issue_invoice(*, invoice: Invoice, by=None, now: datetime | None = None) -> Invoice:
    """Issue a draft (SPEC §9). Refuses an issued invoice, a stale draft, and a draft whose rows in force
    changed since it was computed (that draft is marked stale, and stays so: close the month again)."""
    now = now or timezone.now()
    store_changed = adjustments_changed = False
    with transaction.atomic():
        # The warehouse's ledger lock first: an upload holds it (shared) while it marks drafts stale.
        lock_ledgers(invoice.warehouse_id, exclusive=True)
        _lock_seller(invoice.seller_id)
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("operator", "seller", "contract", "service_line", "rate_card_version")
            .get(pk=invoice.pk)
        )
        if locked.status == Invoice.Status.ISSUED:
            raise BillingError(_("Invoice %(number)s is already issued.") % {"number": locked.number})
        if locked.is_stale:
            raise BillingError(
                _(
                    "The draft of %(invoice)s is stale: warehouse rows of its month changed. "
                    "Close the month again."
                )
                % {"invoice": _label(locked)}
            )
        if locked.kind == Invoice.Kind.REGULAR:
            period = close.period_of(locked.period)
            current = close.inputs_digest(locked.seller_id, locked.service_line, period)
            if current != locked.inputs_digest:
                store_changed = True
                locked.is_stale = True
                locked.save(update_fields=["is_stale"])
                audit.record(
                    "invoice.draft_stale",
                    locked,
                    by=by,
                    data={"reason": "rows in force changed before issue"},
                    now=now,
                )
        if not store_changed and not adjustments.carry(locked, now=now):
            # Disputes: the draft must carry exactly the adjustments pending now (billing.adjustments).
            adjustments_changed = True
            locked.is_stale = True
            locked.save(update_fields=["is_stale"])
            audit.record(
                "invoice.draft_stale", locked, by=by, data={"reason": "pending adjustments changed"}, now=now
            )
        if not store_changed and not adjustments_changed:
            _issue(locked, by=by, now=now)
    if adjustments_changed:
        raise BillingError(
            _(
                "The adjustments from disputes that %(invoice)s carries changed since its draft was "
                "computed: "
                "the draft is now stale. Close the month again."
            )
            % {"invoice": _label(locked)}
        )
    if store_changed:
        raise BillingError(
            _(
                "The rows of %(invoice)s's month changed since its draft was computed: "
                "the draft is now stale. "
                "Close the month again."
            )
            % {"invoice": _label(locked)}
        )
    return locked


def _issue(invoice: Invoice, *, by, now: datetime) -> None:
    issue_date = timezone.localdate(now)
    year = issue_date.year
    invoice.number, invoice.number_sequence = _next_number(
        invoice_sequence_name(invoice.operator_id, year), invoice.operator.code.upper(), year
    )
    invoice.number_year = year
    invoice.issue_date = issue_date
    invoice.due_date = issue_date + timedelta(days=invoice.contract.payment_terms_days)
    invoice.issued_at = now
    invoice.issued_by = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    invoice.status = Invoice.Status.ISSUED
    invoice.payment_status = _payment_status(invoice, issue_date)
    invoice.save()
    close_ledger_period(
        seller=invoice.seller,
        month=invoice.period,
        service_line=invoice.service_line,
        by=invoice.issued_by,
        reference=invoice.number,
        now=now,
    )
    freeze_version(version=invoice.rate_card_version, now=now)
    audit.record(
        "invoice.issued",
        invoice,
        by=by,
        data={
            "number": invoice.number,
            "issue_date": issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "total": _fmt(invoice.total, invoice.currency),
            "currency": invoice.currency,
        },
        now=now,
    )
    apply_credit_balance(invoice=invoice, by=by, now=now)
    from billing.disputes import open_system_disputes  # disputes use this module's credit notes

    open_system_disputes(invoice=invoice, now=now)

    from billing.sending import send_at_issue  # sending uses this module

    send_at_issue(invoice=invoice, by=by, now=now)  # a seller who opted in: emailed once this commits

    _queue_statement(invoice)


def _queue_statement(document: Invoice | CreditNote) -> None:
    """The issued document's PDF in its seller's language, rendered on a worker after commit (issue 13)."""
    from billing.statements import request_statement

    request_statement(document, document.seller.language)


def _label(invoice: Invoice) -> str:
    return invoice.number or f"{invoice.seller.code} {invoice.period:%Y-%m} ({invoice.service_line.code})"


def _lock_seller(seller_id: int) -> Seller:
    return Seller.objects.select_for_update().get(pk=seller_id)


# --- delivery and payment status ----------------------------------------------------------------------------


def record_send(
    *, invoice: Invoice, by=None, now: datetime | None = None, data: dict[str, Any] | None = None
) -> Invoice:
    """Record one send of an issued invoice: counted, ``delivery_status`` sent, audited with ``data`` (the
    emailing itself is ``billing.sending``, which calls this when a send's first email reaches the server).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Invoice.Status.ISSUED:
            raise BillingError(
                _("Only an issued invoice can be sent; %(invoice)s is a draft.") % {"invoice": locked}
            )
        locked.sent_count += 1
        locked.last_sent_at = now
        locked.delivery_status = Invoice.Delivery.SENT
        locked.save(update_fields=["sent_count", "last_sent_at", "delivery_status"])
        audit.record("invoice.sent", locked, by=by, data={**(data or {}), "send": locked.sent_count}, now=now)
    return locked


def mark_overdue(*, today: date | None = None, now: datetime | None = None) -> int:
    """The daily job: issued invoices not fully paid whose due date has passed become overdue (one short
    transaction each, under the seller's lock like the payment services)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    candidates = Invoice.objects.filter(
        status=Invoice.Status.ISSUED,
        payment_status__in=[Invoice.Payment.UNPAID, Invoice.Payment.PARTIALLY_PAID],
        due_date__lt=today,
    )
    marked = 0
    for invoice_id, seller_id in candidates.order_by("pk").values_list("pk", "seller_id"):
        with transaction.atomic():
            _lock_seller(seller_id)
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
            if _payment_status(invoice, today) != Invoice.Payment.OVERDUE or invoice.payment_status == (
                Invoice.Payment.OVERDUE
            ):
                continue
            invoice.payment_status = Invoice.Payment.OVERDUE
            invoice.save(update_fields=["payment_status"])
            audit.record(
                "invoice.overdue",
                invoice,
                data={
                    "due_date": invoice.due_date.isoformat(),
                    "balance": _fmt(invoice.balance, invoice.currency),
                },
                now=now,
            )
            marked += 1
    return marked


def _payment_status(invoice: Invoice, today: date) -> str:
    if invoice.balance <= 0:
        return Invoice.Payment.PAID
    if invoice.due_date is not None and invoice.due_date < today:
        return Invoice.Payment.OVERDUE
    if invoice.amount_paid > 0:
        return Invoice.Payment.PARTIALLY_PAID
    return Invoice.Payment.UNPAID


def _save_payment(invoice: Invoice, today: date) -> None:
    invoice.payment_status = _payment_status(invoice, today)
    invoice.save(update_fields=["amount_paid", "amount_credited", "payment_status"])


# --- payments -----------------------------------------------------------------------------------------------


def record_payment(
    *,
    seller: Seller,
    currency: str,
    amount: Decimal,
    received_on: date,
    bank_reference: str,
    by=None,
    allocate_to: Sequence[Invoice | tuple[Invoice, Decimal]] | None = None,
    now: datetime | None = None,
) -> Payment:
    """Record money received and allocate it (SPEC §9): to the seller's open invoices in ``currency`` oldest
    first, or to ``allocate_to`` (invoices, each up to what it owes, or ``(invoice, amount)`` pairs, in that
    order). What is not allocated stays as the seller's credit balance in that currency."""
    now = now or timezone.now()
    amount = _money(amount, currency, _("The payment"))
    if not bank_reference.strip():
        raise BillingError(_("Give the payment's bank reference."))
    with transaction.atomic():
        _lock_seller(seller.pk)
        payment = Payment.objects.create(
            seller=seller,
            currency=currency,
            amount=amount,
            received_on=received_on,
            bank_reference=bank_reference.strip(),
            recorded_by=_user(by),
            recorded_at=now,
        )
        audit.record(
            "payment.recorded",
            payment,
            by=by,
            data={
                "amount": _fmt(amount, currency),
                "currency": currency,
                "received_on": received_on.isoformat(),
                "bank_reference": payment.bank_reference,
            },
            now=now,
        )
        if allocate_to is None:
            plan = [(invoice, None) for invoice in open_invoices(seller, currency).select_for_update()]
        else:
            plan = _explicit_plan(seller, currency, allocate_to)
            asked = sum((wanted for _invoice, wanted in plan if wanted is not None), ZERO)
            if asked > amount:
                raise BillingError(
                    _("The allocations (%(asked)s) are more than the payment (%(amount)s %(currency)s).")
                    % {"asked": asked, "amount": amount, "currency": currency}
                )
        remaining = amount
        for invoice, wanted in plan:
            if remaining <= 0:
                break
            if wanted is not None and wanted > invoice.balance:  # the same invoice named twice
                raise BillingError(
                    _("Invoice %(number)s owes %(balance)s %(currency)s, less than allocated to it.")
                    % {
                        "number": invoice.number,
                        "balance": _fmt(invoice.balance, currency),
                        "currency": currency,
                    }
                )
            share = min(remaining, invoice.balance if wanted is None else wanted)
            if share <= 0:
                continue
            _allocate(payment, invoice, share, by=by, now=now)
            remaining -= share
    return payment


def _explicit_plan(
    seller: Seller, currency: str, allocate_to: Iterable[Invoice | tuple[Invoice, Decimal]]
) -> list[tuple[Invoice, Decimal | None]]:
    wanted: list[tuple[int, Decimal | None]] = []
    for item in allocate_to:
        invoice, share = (item, None) if isinstance(item, Invoice) else item
        wanted.append((invoice.pk, None if share is None else _money(share, currency, _("An allocation"))))
    locked = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update()
        .filter(pk__in=[pk for pk, _share in wanted])
        .order_by("pk")
        .select_related("seller", "service_line")
    }
    plan = []
    for pk, share in wanted:
        invoice = locked.get(pk)
        if invoice is None or invoice.seller_id != seller.pk:
            raise BillingError(
                _("Invoice #%(id)s is not an invoice of %(seller)s.") % {"id": pk, "seller": seller}
            )
        if invoice.status != Invoice.Status.ISSUED:
            raise BillingError(
                _("%(invoice)s is a draft: only issued invoices take payments.") % {"invoice": invoice}
            )
        if invoice.currency != currency:
            raise BillingError(
                _("Invoice %(number)s is in %(invoice_currency)s, the payment in %(currency)s.")
                % {"number": invoice.number, "invoice_currency": invoice.currency, "currency": currency}
            )
        if share is not None and share > invoice.balance:
            raise BillingError(
                _(
                    "Invoice %(number)s owes %(balance)s %(currency)s, "
                    "less than the %(share)s allocated to it."
                )
                % {
                    "number": invoice.number,
                    "balance": _fmt(invoice.balance, currency),
                    "currency": currency,
                    "share": share,
                }
            )
        plan.append((invoice, share))
    return plan


def _allocate(payment: Payment, invoice: Invoice, share: Decimal, *, by, now: datetime) -> Allocation:
    allocation = Allocation.objects.create(
        payment=payment, invoice=invoice, amount=share, created_at=now, created_by=_user(by)
    )
    invoice.amount_paid += share
    _save_payment(invoice, timezone.localdate(now))
    audit.record(
        "invoice.payment_allocated",
        invoice,
        by=by,
        data={
            "payment": payment.pk,
            "amount": _fmt(share, invoice.currency),
            "amount_paid": _fmt(invoice.amount_paid, invoice.currency),
            "payment_status": invoice.payment_status,
        },
        now=now,
    )
    return allocation


def apply_credit_balance(*, invoice: Invoice, by=None, now: datetime | None = None) -> list[Allocation]:
    """Offer the seller's credit balance in the invoice's currency on an issued invoice: its unallocated
    payments, oldest first, are allocated to it up to what it owes."""
    now = now or timezone.now()
    allocations: list[Allocation] = []
    with transaction.atomic():
        _lock_seller(invoice.seller_id)
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Invoice.Status.ISSUED:
            return allocations
        for payment in unallocated_payments(locked.seller_id, locked.currency):
            if locked.balance <= 0:
                break
            share = min(payment.unallocated, locked.balance)
            allocations.append(_allocate(payment, locked, share, by=by, now=now))
        if allocations:
            invoice.amount_paid, invoice.payment_status = locked.amount_paid, locked.payment_status
    return allocations


# --- credit notes -------------------------------------------------------------------------------------------


def create_credit_note(
    *,
    invoice: Invoice,
    lines: Sequence[dict[str, Any]],
    reason: str,
    by=None,
    now: datetime | None = None,
) -> CreditNote:
    """A draft credit note of an issued invoice: ``lines`` of ``{"description", "amount"}`` (optionally
    ``"invoice_line"``), in the invoice's currency; checked against what remains creditable."""
    now = now or timezone.now()
    if not reason.strip():
        raise BillingError(_("Give the reason for the credit note."))
    if not lines:
        raise BillingError(_("A credit note needs at least one line."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Invoice.Status.ISSUED:
            raise BillingError(
                _("Only an issued invoice can be credited; %(invoice)s is a draft.") % {"invoice": locked}
            )
        values = []
        for item in lines:
            description = str(item.get("description", "")).strip()
            if not description:
                raise BillingError(_("Every credit note line needs a description."))
            amount = _money(item.get("amount"), locked.currency, _("A credit note line"))
            invoice_line = item.get("invoice_line")
            if invoice_line is not None and invoice_line.invoice_id != locked.pk:
                raise BillingError(_("A credit note line may only refer to a line of its own invoice."))
            values.append((description, amount, invoice_line))
        total = sum((amount for _d, amount, _l in values), ZERO)
        _check_cap(locked, total)
        note = CreditNote.objects.create(
            invoice=locked,
            operator_id=locked.operator_id,
            seller_id=locked.seller_id,
            currency=locked.currency,
            reason=reason.strip(),
            total=total,
            created_by=_user(by),
        )
        CreditNoteLine.objects.bulk_create(
            CreditNoteLine(
                credit_note=note, position=position, description=description, amount=amount, invoice_line=line
            )
            for position, (description, amount, line) in enumerate(values, start=1)
        )
        audit.record(
            "credit_note.draft_written",
            note,
            by=by,
            data={
                "invoice": locked.number,
                "total": _fmt(total, locked.currency),
                "currency": locked.currency,
            },
            now=now,
        )
    return note


def issue_credit_note(*, credit_note: CreditNote, by=None, now: datetime | None = None) -> CreditNote:
    """Issue a draft credit note: its own gap-free series per operator and year (``CN-…``), never more than
    what remains of the invoice (checked under the invoice's lock). The invoice owes that much less; what had
    been paid beyond what it now owes goes back to the seller's credit balance."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_seller(credit_note.seller_id)
        invoice = (
            Invoice.objects.select_for_update().select_related("operator").get(pk=credit_note.invoice_id)
        )
        note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        if note.status == CreditNote.Status.ISSUED:
            raise BillingError(_("Credit note %(number)s is already issued.") % {"number": note.number})
        total = sum((line.amount for line in note.lines.all()), ZERO)
        if total <= 0:
            raise BillingError(_("A credit note needs at least one line."))
        _check_cap(invoice, total)
        issue_date = timezone.localdate(now)
        year = issue_date.year
        note.number, note.number_sequence = _next_number(
            credit_note_sequence_name(invoice.operator_id, year), f"CN-{invoice.operator.code.upper()}", year
        )
        note.number_year = year
        note.issue_date = issue_date
        note.issued_at = now
        note.issued_by = _user(by)
        note.total = total
        note.status = CreditNote.Status.ISSUED
        note.save()
        _queue_statement(note)
        invoice.amount_credited += total
        released = _release_overpayment(invoice, by=by, now=now)
        _save_payment(invoice, issue_date)
        audit.record(
            "credit_note.issued",
            note,
            by=by,
            data={
                "number": note.number,
                "invoice": invoice.number,
                "total": _fmt(total, note.currency),
                "currency": note.currency,
            },
            now=now,
        )
        audit.record(
            "invoice.credited",
            invoice,
            by=by,
            data={
                "credit_note": note.number,
                "amount": _fmt(total, note.currency),
                "amount_credited": _fmt(invoice.amount_credited, note.currency),
                "released_to_credit_balance": _fmt(released, note.currency),
            },
            now=now,
        )
    return note


def _check_cap(invoice: Invoice, total: Decimal) -> None:
    remaining = invoice.total - invoice.amount_credited
    if total > remaining:
        raise BillingError(
            _(
                "The credit notes of invoice %(number)s would total %(credited)s %(currency)s, more than the "
                "invoice's %(total)s: at most %(remaining)s %(currency)s can still be credited."
            )
            % {
                "number": invoice.number,
                "credited": _fmt(invoice.amount_credited + total, invoice.currency),
                "currency": invoice.currency,
                "total": _fmt(invoice.total, invoice.currency),
                "remaining": _fmt(remaining, invoice.currency),
            }
        )


def _release_overpayment(invoice: Invoice, *, by, now: datetime) -> Decimal:
    """Payments allocated beyond what the invoice now owes go back to the credit balance (newest first)."""
    excess = invoice.amount_paid - (invoice.total - invoice.amount_credited)
    released = ZERO
    for allocation in invoice.allocations.select_for_update().order_by("-created_at", "-pk"):
        if excess <= 0:
            break
        cut = min(excess, allocation.amount)
        if cut == allocation.amount:
            allocation.delete()
        else:
            allocation.amount -= cut
            allocation.save(update_fields=["amount"])
        excess -= cut
        released += cut
    invoice.amount_paid -= released
    return released


# --- supplementary invoices ---------------------------------------------------------------------------------


def create_supplementary_invoice(
    *, original: Invoice, lines: Sequence[dict[str, Any]], by=None, now: datetime | None = None
) -> Invoice:
    """A draft supplementary invoice for what ``original`` under-billed: ``lines`` of ``{"section",
    "description", "amount"}`` (optionally ``code``, ``quantity``, ``unit``, ``unit_price``, ``formula``),
    taxed like the original's card. Issued like any invoice (the same series)."""
    now = now or timezone.now()
    if not lines:
        raise BillingError(_("A supplementary invoice needs at least one line."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("rate_card").get(pk=original.pk)
        if locked.status != Invoice.Status.ISSUED:
            raise BillingError(
                _("A supplementary invoice completes an issued invoice; %(invoice)s is a draft.")
                % {"invoice": locked}
            )
        currency = locked.currency
        charges = []
        try:
            for item in lines:
                amount = _money(item.get("amount"), currency, _("A supplementary line"))
                description = str(item.get("description", "")).strip()
                if not description:
                    raise BillingError(_("Every supplementary line needs a description."))
                charges.append(
                    ChargeLine(
                        code=str(item.get("code") or "supplementary"),
                        section=str(item.get("section") or "adjustments"),
                        description=description,
                        quantity=Decimal(item.get("quantity", 1)),
                        unit=str(item.get("unit") or "item"),
                        unit_price=None
                        if item.get("unit_price") is None
                        else Decimal(str(item["unit_price"])),
                        amount=amount,
                        currency=currency,
                        formula=str(item.get("formula") or f"{amount:f}"),
                    )
                )
            totals = invoice_totals(
                charges, currency=currency, service_tax_rate=locked.rate_card.service_tax_rate
            )
        except RuleError as exc:
            raise BillingError(str(exc)) from exc
        supplement = Invoice.objects.create(
            operator_id=locked.operator_id,
            seller_id=locked.seller_id,
            warehouse_id=locked.warehouse_id,
            service_line_id=locked.service_line_id,
            contract_id=locked.contract_id,
            rate_card_id=locked.rate_card_id,
            rate_card_version_id=locked.rate_card_version_id,
            period=locked.period,
            kind=Invoice.Kind.SUPPLEMENTARY,
            original=locked,
            currency=currency,
            customer_class=locked.customer_class,
            subtotal=totals.subtotal,
            service_tax=totals.service_tax,
            total=totals.total,
            sections={name: f"{amount:f}" for name, amount in totals.sections.items()},
            tax_breakdown=[
                {"rate": f"{item.rate:f}", "taxable": f"{item.taxable:f}", "tax": f"{item.tax:f}"}
                for item in totals.tax_breakdown
            ],
            computed_at=now,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=supplement,
                position=position,
                code=charge.code,
                section=charge.section,
                description=charge.description[:500],
                quantity=charge.quantity,
                unit=charge.unit,
                unit_price=charge.unit_price,
                amount=charge.amount,
                formula=charge.formula,
            )
            for position, charge in enumerate(charges, start=1)
        )
        audit.record(
            "invoice.supplementary_draft_written",
            supplement,
            by=by,
            data={"original": locked.number, "total": _fmt(supplement.total, currency), "currency": currency},
            now=now,
        )
    return supplement


# --- helpers ------------------------------------------------------------------------------------------------


def _money(value, currency: str, what: str) -> Decimal:
    if currency not in MINOR_UNITS:
        raise BillingError(_("Unknown currency %(currency)s.") % {"currency": currency})
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        raise BillingError(_("%(what)s needs an amount.") % {"what": what}) from None
    if not amount.is_finite() or amount <= 0:
        raise BillingError(_("%(what)s must be more than zero.") % {"what": what})
    if round_money(amount, currency) != amount:
        raise BillingError(
            _("%(what)s has more decimal places than %(currency)s allows: %(amount)s.")
            % {"what": what, "currency": currency, "amount": amount}
        )
    return amount


def _fmt(amount: Decimal, currency: str) -> str:
    """An amount as text in the currency's minor unit, for audit events."""
    return f"{round_money(amount, currency):f}"


def _user(by):
    return by if (by is not None and getattr(by, "is_authenticated", False)) else None
