"""Pending adjustments from accepted disputes (SPEC §9 "adjustments", §10): the next issued invoice of the
seller and service line carries them, however many times its draft is computed before.

- ``pending_of``: the adjustments a draft of a month carries (not yet carried, from an earlier month), for
  a batch of contracts in one query;
- ``with_adjustments``: the engine's computation with their lines added to the adjustments section (and a
  pass-through part to its own section), totals and service tax recomputed. The close calls it on both of its
  paths (``billing.close._decide`` and ``_close_contract_locked``);
- ``carry``: at issue, in the issue's transaction, the adjustments on the draft become carried by it. A draft
  whose adjustments are not exactly those still pending (one was accepted or carried meanwhile) is refused,
  so an adjustment is never carried twice nor skipped (an UPDATE where ``carried_by`` is still null, under
  the rows' locks).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from billing.models import Invoice, PendingAdjustment
from portal import audit
from tariffs.engine import Computation
from tariffs.rules import ChargeLine, Period, Text, format_amount, invoice_totals

LINE_CODE = "dispute_adjustment"


def pending_of(contracts: Iterable, period: Period) -> dict[tuple[int, int], list[PendingAdjustment]]:
    """{(seller id, service line id): pending adjustments a draft of ``period`` carries}, in one query."""
    pairs = {(contract.seller_id, contract.service_line_id) for contract in contracts}
    if not pairs:
        return {}
    condition = Q()
    for seller_id, line_id in pairs:
        condition |= Q(seller_id=seller_id, service_line_id=line_id)
    found: dict[tuple[int, int], list[PendingAdjustment]] = {}
    for adjustment in (
        PendingAdjustment.objects.filter(
            condition, carried_by__isnull=True, after_period__lt=period.first_day
        )
        .select_related("dispute__invoice")
        .order_by("created_at", "pk")
    ):
        found.setdefault((adjustment.seller_id, adjustment.service_line_id), []).append(adjustment)
    return found


def adjustment_lines(adjustments: Iterable[PendingAdjustment], currency: str) -> list[ChargeLine]:
    """The lines of ``adjustments`` in ``currency`` (others are left for a contract in their currency)."""
    lines = []
    for adjustment in adjustments:
        if adjustment.currency != currency:
            continue
        dispute = adjustment.dispute
        number = dispute.invoice.number or str(dispute.invoice_id)
        for section, amount in (
            ("adjustments", adjustment.amount),
            ("pass_through", adjustment.pass_through_amount),
        ):
            if not amount:
                continue
            text = format_amount(amount, currency)
            lines.append(
                ChargeLine(
                    code=LINE_CODE,
                    section=section,
                    description=f"Dispute D-{dispute.pk} on invoice {number}: accepted adjustment",
                    quantity=Decimal(1),
                    unit="item",
                    unit_price=amount,
                    amount=amount,
                    currency=currency,
                    formula=text,
                    inputs={"pending_adjustment": adjustment.pk, "dispute": dispute.pk, "invoice": number},
                    description_text=Text("adjustment.dispute", {"dispute": dispute.pk, "invoice": number}),
                    formula_text=Text("adjustment.dispute_formula", {"dispute": dispute.pk, "amount": text}),
                )
            )
    return lines


def with_adjustments(
    computation: Computation, adjustments: Iterable[PendingAdjustment], *, service_tax_rate: Decimal
) -> Computation:
    """``computation`` with the adjustments' lines after the engine's, and its totals recomputed."""
    extra = adjustment_lines(adjustments, computation.currency)
    if not extra:
        return computation
    lines = (*computation.lines, *extra)
    keys = computation.rule_keys or (None,) * len(computation.lines)
    return dataclasses.replace(
        computation,
        lines=lines,
        rule_keys=(*keys, *([None] * len(extra))),
        totals=invoice_totals(lines, currency=computation.currency, service_tax_rate=service_tax_rate),
    )


def carried_ids(invoice: Invoice) -> set[int]:
    """The pending adjustments whose lines are on ``invoice``."""
    return {
        int(inputs["pending_adjustment"])
        for inputs in invoice.lines.filter(code=LINE_CODE).values_list("inputs", flat=True)
        if inputs and inputs.get("pending_adjustment") is not None
    }


def carry(invoice: Invoice, *, now: datetime) -> bool:
    """Mark the adjustments on the draft ``invoice`` carried by it (inside the issue's transaction). False,
    changing nothing, when the draft's adjustments are not exactly those pending for it now: the draft is out
    of date and must be computed again."""
    if invoice.kind != Invoice.Kind.REGULAR:
        return True
    pending = {
        adjustment.pk
        for adjustment in PendingAdjustment.objects.select_for_update()
        .filter(
            seller_id=invoice.seller_id,
            service_line_id=invoice.service_line_id,
            currency=invoice.currency,
            carried_by__isnull=True,
            after_period__lt=invoice.period,
        )
        .order_by("pk")
    }
    on_draft = carried_ids(invoice)
    if on_draft != pending:
        return False
    if on_draft:
        updated = PendingAdjustment.objects.filter(pk__in=on_draft, carried_by__isnull=True).update(
            carried_by=invoice, carried_at=now
        )
        if updated != len(on_draft):  # pragma: no cover - the rows are locked above
            return False
    return True


def mark_drafts_out_of_date(*, seller_id: int, service_line_id: int, after_period, reason: str) -> int:
    """Drafts of later months of the seller and line go stale (a new adjustment waits for them): they cannot
    be issued until the close computes them again, with it. Locked in key order, as the close locks them."""
    drafts = list(
        Invoice.objects.filter(
            seller_id=seller_id,
            service_line_id=service_line_id,
            period__gt=after_period,
            status=Invoice.Status.DRAFT,
            is_stale=False,
        )
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for invoice in drafts:
        invoice.is_stale = True
        invoice.save(update_fields=["is_stale"])
        audit.record("invoice.draft_stale", invoice, data={"reason": reason})
    return len(drafts)
