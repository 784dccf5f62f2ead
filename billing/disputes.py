"""Disputes (SPEC §10, issue 14): every state change of a dispute, in one transaction each, with an audit
event and an email to the other side through the queue (in the recipient's language).

- ``open_dispute``: a seller questions a line of an issued invoice within the operator's window, with its
  figures and evidence (``portal.uploads``); ``open_system_disputes``: at issue, one dispute per finding the
  close stored on the invoice and per receiving discrepancy of the month;
- ``propose_dispute`` (the Celery task ``billing.tasks.propose_dispute_task``): the whole invoice recomputed
  with the same rate card version and the seller's figures in place of the disputed ones (``recompute``), so
  service tax and a minimum charge follow; the amount the line would have been, the difference, the formula;
- ``accept_dispute`` (a credit note now, through ``billing.services``, or a pending adjustment carried by the
  next issued invoice: ``billing.adjustments``), ``reject_dispute``, ``withdraw_dispute``, ``close_dispute``,
  ``reply_to_dispute``.

Accepted disputes of an invoice are the baseline of the next proposal on it: a proposal's difference is what
its figures change on top of those already accepted, so the credit notes of several disputes add up to the
invoice recomputed with all their figures (and never to more than the invoice: ``services._check_cap``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import adjustments
from billing.models import Dispute, DisputeAttachment, DisputeMessage, Invoice, InvoiceLine, PendingAdjustment
from billing.services import BillingError, create_credit_note, issue_credit_note
from inventory.ledgers.facts import StockMonthSums
from inventory.ledgers.kinds import KINDS
from inventory.ledgers.store_facts import month_facts, rows_in_force
from inventory.models import LedgerFile, OrderEvent, ReceivingDiscrepancy
from portal import audit
from portal.emails import send_templated_email
from portal.models import Seller, SellerUser
from portal.money import MINOR_UNITS, round_money
from portal.uploads import storage_name, validate_document
from tariffs.engine import Computation, MonthFacts, compute_invoice
from tariffs.rules import Period, RuleContext, RuleError, bill_rule, format_amount, get_kind, invoice_totals
from tariffs.selectors import rule_specs

ZERO = Decimal(0)
Reason = Dispute.Reason
State = Dispute.State

# The field a "wrong quantity" or "wrong weight" figure replaces on a row of each ledger.
QUANTITY_FIELD = {"outbound": "sku_kinds", "vas": "quantity", "inbound": "packages", "receiving": "units"}
WEIGHT_FIELD = {"outbound": "weight_kg", "inbound": "weight_kg", "receiving": "weight_kg"}
INTEGER_FIELDS = {"sku_kinds", "packages", "units", "stock_qty", "sales_qty"}
STOCK_FIELDS = (
    "item_id",
    "business_date",
    "units_per_carton",
    "length_mm",
    "width_mm",
    "height_mm",
    "stock_qty",
    "sales_qty",
    "total_volume_m3",
)
# Findings of the close that open a dispute at issue (SPEC §10), and the reason they are filed under.
FINDING_REASONS = {"source_mismatch": Reason.WRONG_QUANTITY, "volume_mismatch": Reason.OTHER}
MAX_EVIDENCE_FILES = 5


@dataclass(frozen=True)
class Figures:
    """What the seller believes is right (any may be missing)."""

    reference: str = ""
    quantity: Decimal | None = None
    weight_kg: Decimal | None = None
    day_from: date | None = None
    day_to: date | None = None
    amount: Decimal | None = None


# --- the window ---------------------------------------------------------------------------------------------


def window_closes(invoice: Invoice) -> date | None:
    """The last day a line of ``invoice`` can be disputed (its issue date + the operator's window)."""
    if invoice.issue_date is None:
        return None
    return invoice.issue_date + timedelta(days=invoice.operator.dispute_window_days)


def check_window(invoice: Invoice, today: date) -> None:
    if invoice.status != Invoice.Status.ISSUED:
        raise BillingError(_("Only a line of an issued invoice can be disputed."))
    last = window_closes(invoice)
    if today > last:
        raise BillingError(
            _(
                "The dispute window of invoice %(number)s closed on %(date)s (%(days)s days after issue). "
                "Write to the warehouse if you still find a mistake."
            )
            % {
                "number": invoice.number,
                "date": last.isoformat(),
                "days": invoice.operator.dispute_window_days,
            }
        )


# --- opening ------------------------------------------------------------------------------------------------


def open_dispute(
    *,
    line: InvoiceLine,
    by,
    reason: str,
    text: str,
    figures: Figures = Figures(),
    files: Sequence = (),
    now: datetime | None = None,
) -> Dispute:
    """A seller disputes ``line`` (SPEC §10): within the window, one open dispute per line, its figures
    checked against the line's rows, its evidence checked by ``portal.uploads`` (a refused file stores
    nothing)."""
    now = now or timezone.now()
    if reason not in Reason.values:
        raise BillingError(_("Choose a reason from the list."))
    text = (text or "").strip()
    if not text:
        raise BillingError(_("Explain what is wrong with the line."))
    _check_files(files)
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("operator", "seller")
            .get(pk=line.invoice_id)
        )
        check_window(invoice, timezone.localdate(now))
        line = InvoiceLine.objects.get(pk=line.pk)
        existing = Dispute.objects.filter(
            line=line, origin=Dispute.Origin.SELLER, state__in=Dispute.ACTIVE_STATES
        )
        if existing.exists():
            raise BillingError(
                _("This line already has an open dispute (D-%(id)s): reply there.")
                % {"id": existing.first().pk}
            )
        corrections = corrections_of(line, reason, figures, invoice)
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(
                    invoice=invoice,
                    line=line,
                    seller=invoice.seller,
                    origin=Dispute.Origin.SELLER,
                    opened_by=_user(by),
                    reason=reason,
                    text=text,
                    reference=figures.reference,
                    claimed_quantity=figures.quantity,
                    claimed_weight_kg=figures.weight_kg,
                    claimed_day_from=figures.day_from,
                    claimed_day_to=figures.day_to,
                    claimed_amount=figures.amount,
                    corrections=corrections,
                    opened_at=now,
                )
        except IntegrityError:
            raise BillingError(_("This line already has an open dispute: reply there.")) from None
        message = DisputeMessage.objects.create(
            dispute=dispute, author=_user(by), from_seller=True, body=text, created_at=now
        )
        _store_files(message, files)
        audit.record(
            "dispute.opened",
            dispute,
            by=by,
            data={"invoice": invoice.number, "line": line.position, "reason": reason, "files": len(files)},
            now=now,
        )
        _notify_ops(dispute, "opened", body=text)
        _queue_proposal(dispute)
    return dispute


def open_system_disputes(*, invoice: Invoice, now: datetime | None = None) -> list[Dispute]:
    """At issue (inside its transaction): one dispute per stored finding that bears on a billed line, and per
    over/short/damaged discrepancy of an inbound order completed at the invoice's warehouse in its month.
    Idempotent (one per finding of an invoice: a unique key)."""
    now = now or timezone.now()
    if invoice.kind != Invoice.Kind.REGULAR:
        return []
    lines = list(invoice.lines.order_by("position"))
    item_lines: dict[str, InvoiceLine] = {}
    for line in lines:
        if line.ledger == "stock":
            for ref in line.source_refs or []:
                if isinstance(ref, dict) and ref.get("item_id"):
                    item_lines.setdefault(ref["item_id"], line)
    wanted: list[Dispute] = []
    for finding in invoice.findings or []:
        kind = finding.get("kind")
        line = item_lines.get(finding.get("item_id", ""))
        if kind not in FINDING_REASONS or line is None:
            continue
        item, day = finding["item_id"], finding["day"]
        if kind == "source_mismatch":
            correction = {"op": "seller_row", "kind": "stock", "item_id": item, "from": day, "to": day}
        else:
            correction = {
                "op": "set",
                "kind": "stock",
                "item_id": item,
                "from": day,
                "to": day,
                "values": {"total_volume_m3": None},
            }
        wanted.append(
            Dispute(
                invoice=invoice,
                line=line,
                seller_id=invoice.seller_id,
                origin=Dispute.Origin.SYSTEM,
                source={"kind": kind, **{k: finding.get(k) for k in ("item_id", "day", "detail", "text")}},
                source_key=f"{kind}:{item}:{day}"[:200],
                reason=FINDING_REASONS[kind],
                text=finding.get("detail", ""),
                reference=item,
                claimed_day_from=date.fromisoformat(day),
                claimed_day_to=date.fromisoformat(day),
                seller_figures=_seller_row(invoice, item, day) if kind == "source_mismatch" else {},
                corrections=[correction],
                opened_at=now,
            )
        )
    wanted.extend(_discrepancy_disputes(invoice, lines, now))
    known = set(
        Dispute.objects.filter(invoice=invoice, origin=Dispute.Origin.SYSTEM).values_list(
            "source_key", flat=True
        )
    )
    wanted = [dispute for dispute in wanted if dispute.source_key not in known]
    if not wanted:
        return []
    created = Dispute.objects.bulk_create(wanted)
    audit.record_many(
        [
            audit.event(
                "dispute.opened",
                dispute,
                data={"invoice": invoice.number, "origin": "system", "source": dispute.source.get("kind")},
                now=now,
            )
            for dispute in created
        ]
    )
    _notify_seller_of_system_disputes(invoice, created)
    for dispute in created:
        _queue_proposal(dispute)
    return created


def _seller_row(invoice: Invoice, item: str, day: str) -> dict[str, Any]:
    row = (
        rows_in_force(
            "stock",
            seller=invoice.seller_id,
            warehouse=invoice.warehouse_id,
            period=_period(invoice),
            service_line=invoice.service_line_id,
            source=LedgerFile.Source.SELLER,
        )
        .filter(item_id=item, business_date=day)
        .values("stock_qty", "sales_qty")
        .first()
    )
    if row is None:  # the seller's row was filed without a service line
        row = (
            rows_in_force(
                "stock",
                seller=invoice.seller_id,
                warehouse=invoice.warehouse_id,
                period=_period(invoice),
                source=LedgerFile.Source.SELLER,
            )
            .filter(item_id=item, business_date=day)
            .values("stock_qty", "sales_qty")
            .first()
        )
    return dict(row or {})


def _discrepancy_disputes(invoice: Invoice, lines: list[InvoiceLine], now: datetime) -> list[Dispute]:
    """Receiving discrepancies of the seller's orders completed at the warehouse in the invoice's month: on
    the receiving line that billed the order (its rows' reference is the order number), else the storage
    line of the item, else on the invoice as a whole."""
    period = _period(invoice)
    completed = OrderEvent.objects.filter(
        order__seller_id=invoice.seller_id,
        order__warehouse_id=invoice.warehouse_id,
        to_state="completed",
        at__date__gte=period.first_day,
        at__date__lt=period.next_first_day,
    ).values("order_id")
    discrepancies = list(
        ReceivingDiscrepancy.objects.filter(order_id__in=completed)
        .select_related("order", "line__sku")
        .order_by("order__number", "line_id", "kind")
    )
    if not discrepancies:
        return []
    receiving_rows = {}
    receiving_lines = [line for line in lines if line.ledger == "receiving"]
    if receiving_lines:
        pks = {ref: line for line in receiving_lines for ref in line.source_refs if isinstance(ref, int)}
        for pk, reference, units in (
            KINDS["receiving"]
            .model.objects.filter(pk__in=pks, reference__in={d.order.number for d in discrepancies})
            .values_list("pk", "reference", "units")
        ):
            if units is not None:
                receiving_rows.setdefault(reference, (pk, pks[pk]))
    stock_lines = {}
    for line in lines:
        if line.ledger == "stock":
            for ref in line.source_refs or []:
                if isinstance(ref, dict) and ref.get("item_id"):
                    stock_lines.setdefault(ref["item_id"], line)
    made = []
    for discrepancy in discrepancies:
        order, order_line = discrepancy.order, discrepancy.line
        shipped = order_line.units
        figures = {
            "order": order.number,
            "sku": order_line.sku.code,
            "kind": discrepancy.kind,
            "units": discrepancy.units,
            "shipped": shipped,
            "received": order_line.received_units,
            "damaged": order_line.damaged_units,
        }
        corrections, line = [], None
        if order.number in receiving_rows:
            pk, line = receiving_rows[order.number]
            corrections = [{"op": "set", "kind": "receiving", "row": pk, "values": {"units": str(shipped)}}]
        else:
            line = stock_lines.get(order_line.sku.code)
        made.append(
            Dispute(
                invoice=invoice,
                line=line,
                seller_id=invoice.seller_id,
                origin=Dispute.Origin.SYSTEM,
                source={"kind": "receiving_discrepancy", **figures},
                source_key=f"discrepancy:{discrepancy.pk}",
                reason=Reason.WRONG_QUANTITY,
                text=(
                    f"Order {order.number}, SKU {order_line.sku.code}: "
                    f"{discrepancy.kind} {discrepancy.units} "
                    f"(shipped {shipped}, received {order_line.received_units or 0}, "
                    f"damaged {order_line.damaged_units or 0})"
                ),
                reference=order.number,
                claimed_quantity=Decimal(shipped),
                seller_figures=figures,
                corrections=corrections,
                opened_at=now,
            )
        )
    return made


# --- the seller's figures as corrections --------------------------------------------------------------------


def corrections_of(
    line: InvoiceLine, reason: str, figures: Figures, invoice: Invoice
) -> list[dict[str, Any]]:
    """The figures the recomputation puts in place of the line's (see the module's text), or a clear refusal
    when they do not fit the line (a weight on a storage line, an item the line does not bill...)."""
    if line.code == adjustments.LINE_CODE:
        raise BillingError(_("An adjustment from a dispute cannot be disputed again: reply on its dispute."))
    currency = invoice.currency
    kind = line.ledger
    period = _period(invoice)
    if figures.amount is not None:
        amount = figures.amount
        if not amount.is_finite() or amount < 0 or round_money(amount, currency) != amount:
            raise BillingError(
                _(
                    "Give the amount as a number of %(currency)s with at most %(places)s decimals, "
                    "not negative."
                )
                % {"currency": currency, "places": MINOR_UNITS.get(currency, 2)}
            )
    if reason in (Reason.WRONG_RATE, Reason.OTHER) and figures.amount is not None:
        return [{"op": "amount", "position": line.position, "amount": f"{figures.amount:f}"}]
    if reason == Reason.WRONG_RATE:
        raise BillingError(_("Give the amount you believe the line should be."))
    if reason == Reason.OTHER:
        return []
    if not kind:
        raise BillingError(
            _(
                "This line bills no ledger rows: choose 'wrong rate' or 'other' "
                "and give the amount you believe is right."
            )
        )
    if kind == "stock":
        items = _line_items(line)
        chosen = _stock_items(items, figures.reference, need_one=reason == Reason.WRONG_QUANTITY)
        day_from, day_to = _days(figures, period, need=reason == Reason.WRONG_DAYS)
        if reason == Reason.NOT_OURS:
            return [{"op": "drop", "kind": "stock", "item_id": item} for item in chosen]
        if reason == Reason.WRONG_DAYS:
            return [
                {
                    "op": "keep",
                    "kind": "stock",
                    "item_id": item,
                    "from": day_from.isoformat(),
                    "to": day_to.isoformat(),
                }
                for item in chosen
            ]
        if reason == Reason.WRONG_QUANTITY:
            quantity = _whole(figures.quantity)
            return [
                {
                    "op": "set",
                    "kind": "stock",
                    "item_id": chosen[0],
                    "from": day_from.isoformat(),
                    "to": day_to.isoformat(),
                    "values": {"stock_qty": str(quantity)},
                }
            ]
        raise BillingError(_("A storage line can be disputed for its quantity, its days, or as not yours."))
    rows = _line_rows(line, kind, figures.reference, need_one=reason != Reason.NOT_OURS)
    if reason == Reason.NOT_OURS:
        return [{"op": "drop", "kind": kind, "row": pk} for pk in rows]
    if reason == Reason.WRONG_QUANTITY and kind in QUANTITY_FIELD:
        field = QUANTITY_FIELD[kind]
        value = (
            _whole(figures.quantity) if field in INTEGER_FIELDS else _positive(figures.quantity, zero=True)
        )
        return [{"op": "set", "kind": kind, "row": rows[0], "values": {field: str(value)}}]
    if reason == Reason.WRONG_WEIGHT and kind in WEIGHT_FIELD:
        weight = _positive(figures.weight_kg)
        return [{"op": "set", "kind": kind, "row": rows[0], "values": {WEIGHT_FIELD[kind]: f"{weight:f}"}}]
    raise BillingError(
        _(
            "This reason does not fit a line of the %(ledger)s ledger: "
            "choose another, or 'other' with an amount."
        )
        % {"ledger": kind}
    )


def _line_items(line: InvoiceLine) -> list[str]:
    return sorted(
        {ref["item_id"] for ref in line.source_refs or [] if isinstance(ref, dict) and ref.get("item_id")}
    )


def _stock_items(items: list[str], reference: str, *, need_one: bool) -> list[str]:
    reference = (reference or "").strip()
    if reference:
        if reference not in items:
            raise BillingError(_("Item %(item)s is not billed on this line.") % {"item": reference})
        return [reference]
    if need_one and len(items) != 1:
        raise BillingError(_("This line bills several items: name the item you dispute."))
    if not items:
        raise BillingError(_("This line bills no item."))
    return items


def _line_rows(line: InvoiceLine, kind: str, reference: str, *, need_one: bool) -> list[int]:
    pks = [ref for ref in line.source_refs or [] if isinstance(ref, int)]
    reference = (reference or "").strip()
    if reference:
        field = "order_no" if kind in ("outbound", "tax") else "reference"
        found = list(
            KINDS[kind]
            .model.objects.filter(pk__in=pks, **{field: reference})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not found:
            raise BillingError(_("%(reference)s is not billed on this line.") % {"reference": reference})
        return found
    if need_one and len(pks) != 1:
        raise BillingError(_("This line bills several rows: name the order number or reference you dispute."))
    if not pks:
        raise BillingError(_("This line bills no ledger rows."))
    return pks


def _days(figures: Figures, period: Period, *, need: bool) -> tuple[date, date]:
    if need and (figures.day_from is None or figures.day_to is None):
        raise BillingError(_("Give the first and last day the goods were stored."))
    first = figures.day_from or period.first_day
    last = figures.day_to or period.last_day
    if first not in period or last not in period or first > last:
        raise BillingError(
            _("Give days within %(period)s, the first not after the last.") % {"period": str(period)}
        )
    return first, last


def _whole(value: Decimal | None) -> int:
    if value is None or not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise BillingError(_("Give the quantity you believe is right as a whole number."))
    return int(value)


def _positive(value: Decimal | None, *, zero: bool = False) -> Decimal:
    if value is None or not value.is_finite() or value < 0 or (value == 0 and not zero):
        raise BillingError(_("Give the weight or quantity you believe is right, more than zero."))
    return value


# --- the proposal -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    """An invoice recomputed from its rows with some disputes' figures."""

    computation: Computation
    facts: MonthFacts


def recompute(
    invoice: Invoice, corrections: Iterable[dict[str, Any]], *, facts: MonthFacts | None = None
) -> Recomputed:
    """The whole invoice computed again from its warehouse rows with ``corrections`` in place of the disputed
    figures: the same rate card version, currency, customer class and service tax; the adjustments it carried.
    ``facts``: the invoice's facts already read."""
    corrections = list(corrections)
    period = _period(invoice)
    if facts is None:
        facts = month_facts(
            seller=invoice.seller,
            warehouse=invoice.warehouse,
            period=period,
            service_line=invoice.service_line,
        )
    corrected = _corrected_facts(invoice, facts, corrections)
    version = invoice.rate_card_version
    specs = rule_specs(version)
    computation = compute_invoice(
        corrected,
        specs,
        currency=invoice.currency,
        customer_class=invoice.customer_class,
        service_tax_rate=invoice.rate_card.service_tax_rate,
        not_billed_kinds=version.not_billed_kinds,
    )
    overrides = [c for c in corrections if c.get("op") == "amount"]
    if overrides:
        computation = _with_amounts(invoice, computation, specs, overrides)
    computation = adjustments.with_adjustments(
        computation,
        PendingAdjustment.objects.filter(carried_by=invoice).select_related("dispute__invoice"),
        service_tax_rate=invoice.rate_card.service_tax_rate,
    )
    return Recomputed(computation=computation, facts=corrected)


def _corrected_facts(invoice: Invoice, facts: MonthFacts, corrections: list[dict[str, Any]]) -> MonthFacts:
    period = facts.period
    ledgers = {kind: list(rows) for kind, rows in facts.ledgers.items()}
    stock_ops: dict[str, list[dict]] = {}
    for correction in corrections:
        kind = correction.get("kind")
        if kind == "stock":
            stock_ops.setdefault(correction["item_id"], []).append(correction)
        elif kind in KINDS:
            by_ref = {fact.ref: index for index, fact in enumerate(ledgers.get(kind, [])) if fact is not None}
            index = by_ref.get(correction["row"])
            if index is None:
                raise BillingError(_("A disputed row is no longer on the invoice."))
            if correction["op"] == "drop":
                ledgers[kind][index] = None
            elif ledgers[kind][index] is not None:
                values = {
                    name: (int(Decimal(value)) if name in INTEGER_FIELDS else Decimal(value))
                    for name, value in correction["values"].items()
                }
                ledgers[kind][index] = dataclasses.replace(ledgers[kind][index], **values)
    for kind in list(ledgers):
        if kind != "stock":
            ledgers[kind] = [fact for fact in ledgers[kind] if fact is not None]
    if stock_ops:
        ledgers["stock"] = _corrected_stock(invoice, period, ledgers.get("stock", []), stock_ops)
    return MonthFacts(period=period, ledgers={kind: rows for kind, rows in ledgers.items() if rows})


def _corrected_stock(invoice: Invoice, period: Period, facts: list, ops: dict[str, list[dict]]) -> list:
    """The stock facts with the items of ``ops`` summed again from their rows, corrected."""
    scope = {
        "seller": invoice.seller_id,
        "warehouse": invoice.warehouse_id,
        "period": period,
        "service_line": invoice.service_line_id,
    }
    rows: dict[str, dict[date, list]] = {item: {} for item in ops}
    for values in rows_in_force("stock", **scope).filter(item_id__in=list(ops)).values_list(*STOCK_FIELDS):
        rows[values[0]][values[1]] = list(values)
    wants_seller = {
        item for item, item_ops in ops.items() if any(op["op"] == "seller_row" for op in item_ops)
    }
    seller_rows: dict[tuple[str, date], list] = {}
    if wants_seller:
        for source_scope in (scope, {**scope, "service_line": None}):
            for values in (
                rows_in_force("stock", source=LedgerFile.Source.SELLER, **source_scope)
                .filter(item_id__in=list(wants_seller))
                .values_list(*STOCK_FIELDS)
            ):
                seller_rows.setdefault((values[0], values[1]), list(values))
    for item, item_ops in ops.items():
        days = rows[item]
        for op in item_ops:
            first = date.fromisoformat(op["from"]) if op.get("from") else period.first_day
            last = date.fromisoformat(op["to"]) if op.get("to") else period.last_day
            if op["op"] == "drop":
                days.clear()
            elif op["op"] == "keep":
                for day in [day for day in days if not first <= day <= last]:
                    del days[day]
            elif op["op"] == "set":
                for day, row in days.items():
                    if first <= day <= last:
                        for name, value in op["values"].items():
                            index = STOCK_FIELDS.index(name)
                            row[index] = None if value is None else int(Decimal(value))
                        if (
                            "stock_qty" in op["values"]
                        ):  # the volume follows the dimensions × the seller's stock
                            row[STOCK_FIELDS.index("total_volume_m3")] = None
            elif op["op"] == "seller_row":
                day = first
                mine = seller_rows.get((item, day))
                if mine is not None:
                    days[day] = list(mine)
    kept = [fact for fact in facts if fact.item_id not in ops]
    for days in rows.values():
        if not days:
            continue
        sums = StockMonthSums(period)
        for day in sorted(days):
            sums.add_row(*days[day])
        kept.extend(sums.facts())
    return sorted(kept, key=lambda fact: fact.item_id)


def _with_amounts(invoice: Invoice, computation: Computation, specs, overrides: list[dict]) -> Computation:
    """Claimed amounts in place of lines (wrong rate, other), then the minimum charge and the totals again."""
    lines = list(computation.lines)
    keys = list(computation.rule_keys or (None,) * len(lines))
    invoiced = {
        line.position: line for line in invoice.lines.filter(position__in=[o["position"] for o in overrides])
    }
    for override in overrides:
        original = invoiced[override["position"]]
        index = _matching_index(lines, original)
        amount = Decimal(override["amount"])
        lines[index] = dataclasses.replace(
            lines[index], amount=amount, formula=f"{format_amount(amount, invoice.currency)} (claimed)"
        )
    minimum = {spec.key: spec for spec in specs if get_kind(spec.kind).ledger is None}
    if minimum:
        kept = [(line, key) for line, key in zip(lines, keys, strict=True) if key not in minimum]
        lines, keys = [line for line, _key in kept], [key for _line, key in kept]
        for spec in minimum.values():
            made = bill_rule(spec.kind, list(lines), spec.params, _context(spec, invoice, computation.period))
            lines.extend(made)
            keys.extend([spec.key] * len(made))
    totals = invoice_totals(
        lines, currency=invoice.currency, service_tax_rate=invoice.rate_card.service_tax_rate
    )
    return dataclasses.replace(computation, lines=tuple(lines), rule_keys=tuple(keys), totals=totals)


def _matching_index(lines: list, original: InvoiceLine) -> int:
    refs = [_ref_key(ref) for ref in original.source_refs or []]
    for index, line in enumerate(lines):
        if (
            line.code == original.code
            and line.section == original.section
            and [_ref_key(ref) for ref in line.source_refs] == refs
        ):
            return index
    if original.position - 1 < len(lines) and lines[original.position - 1].code == original.code:
        return original.position - 1
    raise BillingError(_("The disputed line is no longer computed from the invoice's rows."))


def _ref_key(ref) -> Any:
    if isinstance(ref, dict):
        return ("stock", ref.get("item_id"))
    if hasattr(ref, "item_id") and hasattr(ref, "kind"):
        return (ref.kind, ref.item_id)
    return ref


def _context(spec, invoice: Invoice, period: Period) -> RuleContext:
    return RuleContext(
        charge_code=spec.charge_code,
        currency=invoice.currency,
        section=spec.section or None,
        customer_class=invoice.customer_class,
        period=period,
    )


def _line_after(
    invoice: Invoice, line: InvoiceLine | None, recomputed: Recomputed, corrections: list[dict]
) -> Decimal | None:
    """What the disputed line would have been with the figures: its rule over its rows, corrected."""
    if line is None:
        return None
    for correction in corrections:
        if correction.get("op") == "amount" and correction.get("position") == line.position:
            return Decimal(correction["amount"])
    computation = recomputed.computation
    if line.rule_id is None:
        return line.amount
    spec = next((spec for spec in rule_specs(invoice.rate_card_version) if spec.key == line.rule_id), None)
    if spec is None:
        return line.amount
    if get_kind(spec.kind).ledger is None:  # a minimum charge: what the rule gives now
        return sum(
            (
                item.amount
                for item, key in zip(computation.lines, computation.rule_keys, strict=True)
                if key == spec.key
            ),
            ZERO,
        )
    facts = recomputed.facts.rows(line.ledger)
    if line.ledger == "stock":
        items = set(_line_items(line))
        mine = [fact for fact in facts if fact.item_id in items]
    else:
        refs = {ref for ref in line.source_refs or [] if isinstance(ref, int)}
        mine = [fact for fact in facts if fact.ref in refs]
    if not mine:
        return round_money(ZERO, invoice.currency)
    made = bill_rule(spec.kind, mine, spec.params, _context(spec, invoice, recomputed.facts.period))
    return sum((item.amount for item in made), ZERO)


def propose_dispute(*, dispute_id: int, now: datetime | None = None) -> Dispute | None:
    """The worker's step (idempotent): recompute the invoice with the dispute's figures on top of the accepted
    disputes of the invoice and store the proposal; the dispute becomes ``proposed`` and both sides are told.
    A dispute decided or withdrawn meanwhile is left as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update(of=("self",))
            .select_related("invoice__seller", "invoice__operator", "invoice__rate_card", "line")
            .filter(pk=dispute_id)
            .first()
        )
        if dispute is None or dispute.state not in Dispute.ACTIVE_STATES:
            return dispute
        before = (dispute.state, dispute.difference, dispute.proposal.get("baseline"))
        try:
            _store_proposal(dispute, now=now)
        except (BillingError, RuleError, ValidationError, InvalidOperation, KeyError, ValueError) as exc:
            dispute.proposal_error = _message_of(exc)
            dispute.proposal_attempts += 1
            dispute.save(update_fields=["proposal_error", "proposal_attempts", "updated_at"])
            audit.record("dispute.proposal_failed", dispute, data={"error": dispute.proposal_error}, now=now)
            return dispute
        if before == (State.PROPOSED, dispute.difference, dispute.proposal.get("baseline")):
            return dispute  # a redelivered task: the same proposal, told once
        audit.record(
            "dispute.proposed",
            dispute,
            data={
                "difference": f"{dispute.difference:f}",
                "proposed_total": f"{dispute.proposed_total:f}",
                "currency": dispute.invoice.currency,
            },
            now=now,
        )
        _notify_seller(dispute, "proposed")
        _notify_ops(dispute, "proposed")
    return dispute


def _baseline(dispute: Dispute) -> list[Dispute]:
    """The accepted disputes of the invoice (other than this one), in the order they were opened."""
    return list(
        Dispute.objects.filter(invoice_id=dispute.invoice_id, decision__in=Dispute.Decision.values)
        .exclude(pk=dispute.pk)
        .order_by("pk")
    )


def _store_proposal(dispute: Dispute, *, now: datetime) -> None:
    invoice = dispute.invoice
    baseline = _baseline(dispute)
    period = _period(invoice)
    facts = month_facts(
        seller=invoice.seller, warehouse=invoice.warehouse, period=period, service_line=invoice.service_line
    )
    as_issued = recompute(invoice, [], facts=facts).computation
    if as_issued.totals.total != invoice.total:
        raise BillingError(
            _(
                "Invoice %(number)s no longer recomputes to its total (%(total)s, now %(now)s): "
                "ops will decide this dispute by hand."
            )
            % {"number": invoice.number, "total": invoice.total, "now": as_issued.totals.total}
        )
    before_corrections = [c for accepted in baseline for c in accepted.corrections]
    before = recompute(invoice, before_corrections, facts=facts).computation if baseline else as_issued
    after = recompute(invoice, [*before_corrections, *dispute.corrections], facts=facts)
    totals_before, totals_after = before.totals, after.computation.totals
    currency = invoice.currency
    line_after = _line_after(invoice, dispute.line, after, dispute.corrections)
    dispute.line_amount = dispute.line.amount if dispute.line else None
    dispute.proposed_line_amount = line_after
    dispute.original_total = totals_before.total
    dispute.proposed_total = totals_after.total
    dispute.difference = totals_after.total - totals_before.total
    dispute.difference_pass_through = (
        totals_after.sections["pass_through"] - totals_before.sections["pass_through"]
    )
    dispute.difference_taxable = (totals_after.subtotal - totals_after.sections["pass_through"]) - (
        totals_before.subtotal - totals_before.sections["pass_through"]
    )
    money = lambda amount: format_amount(amount, currency)  # noqa: E731
    parts = []
    if dispute.line is not None and line_after is not None:
        parts.append(f"line {dispute.line.position}: {money(dispute.line.amount)} → {money(line_after)}")
    parts.append(
        f"subtotal {money(totals_before.subtotal)} → {money(totals_after.subtotal)}, "
        f"service tax {money(totals_before.service_tax)} → {money(totals_after.service_tax)}"
    )
    parts.append(
        f"total {money(totals_after.total)} − {money(totals_before.total)} = "
        f"{money(dispute.difference)} {currency}"
    )
    dispute.formula = "; ".join(parts)
    dispute.proposal = {
        "baseline": [accepted.pk for accepted in baseline],
        "subtotal": [f"{totals_before.subtotal:f}", f"{totals_after.subtotal:f}"],
        "service_tax": [f"{totals_before.service_tax:f}", f"{totals_after.service_tax:f}"],
        "sections": {
            name: [f"{totals_before.sections[name]:f}", f"{totals_after.sections[name]:f}"]
            for name in totals_after.sections
        },
    }
    dispute.proposal_error = ""
    dispute.proposed_at = now
    dispute.state = State.PROPOSED
    dispute.save()


def _queue_proposal(dispute: Dispute) -> None:
    from billing.tasks import propose_dispute_task

    transaction.on_commit(lambda pk=dispute.pk: propose_dispute_task.delay(pk))


# --- deciding -----------------------------------------------------------------------------------------------


def accept_dispute(
    *, dispute: Dispute, decision: str, reason: str, by=None, now: datetime | None = None
) -> Dispute:
    """Ops accept the proposal (SPEC §10): a credit note now (issued at once, never more than what remains of
    the invoice) or a pending adjustment for the next issued invoice of the seller and line. Accepting an
    accepted dispute again changes nothing (one credit note, one adjustment: the state under a row lock and
    the one-to-one keys). A proposal made before another dispute of the invoice was accepted is computed
    again first, and the accept refused so that ops see the new figures."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if decision not in Dispute.Decision.values:
        raise BillingError(_("Choose a credit note now or an adjustment on the next invoice."))
    if not reason:
        raise BillingError(_("Give the reason for the decision."))
    recomputed = False
    with transaction.atomic():
        Seller.objects.select_for_update().get(pk=dispute.seller_id)
        locked = (
            Dispute.objects.select_for_update(of=("self",))
            .select_related("invoice", "line")
            .get(pk=dispute.pk)
        )
        if locked.state in (State.ACCEPTED, State.CLOSED) and locked.decision:
            if locked.decision != decision:
                raise BillingError(
                    _("Dispute D-%(id)s is already accepted as: %(decision)s.")
                    % {"id": locked.pk, "decision": locked.get_decision_display()}
                )
            return locked
        if locked.state != State.PROPOSED:
            raise BillingError(
                _("Only a dispute with a proposal can be accepted; D-%(id)s is %(state)s.")
                % {"id": locked.pk, "state": locked.get_state_display()}
            )
        if locked.proposal.get("baseline") != [accepted.pk for accepted in _baseline(locked)]:
            _store_proposal(locked, now=now)
            audit.record("dispute.proposed", locked, by=by, data={"again": True}, now=now)
            recomputed = True
        elif not locked.is_credit:
            raise BillingError(
                _(
                    "The seller's figures do not lower invoice %(number)s: there is nothing to credit. "
                    "Reject the dispute with a reason."
                )
                % {"number": locked.invoice.number}
            )
        else:
            _decide(locked, decision, reason, by=by, now=now)
    if recomputed:
        raise BillingError(
            _(
                "Another dispute of this invoice was accepted since this proposal: it was computed again "
                "(difference now %(difference)s %(currency)s). Review it and accept again."
            )
            % {"difference": locked.difference, "currency": locked.invoice.currency}
        )
    return locked


def _decide(dispute: Dispute, decision: str, reason: str, *, by, now: datetime) -> None:
    invoice = dispute.invoice
    if decision == Dispute.Decision.CREDIT_NOTE:
        description = f"Dispute D-{dispute.pk}" + (
            f", line {dispute.line.position}: {dispute.line.description}" if dispute.line else ""
        )
        note = create_credit_note(
            invoice=invoice,
            lines=[
                {
                    "description": description[:500],
                    "amount": dispute.credit_amount,
                    "invoice_line": dispute.line,
                }
            ],
            reason=f"Dispute D-{dispute.pk}: {reason}",
            by=by,
            now=now,
        )
        dispute.credit_note = issue_credit_note(credit_note=note, by=by, now=now)
    else:
        PendingAdjustment.objects.create(
            dispute=dispute,
            seller_id=dispute.seller_id,
            service_line_id=invoice.service_line_id,
            currency=invoice.currency,
            amount=dispute.difference_taxable,
            pass_through_amount=dispute.difference_pass_through,
            after_period=invoice.period,
            created_at=now,
        )
        adjustments.mark_drafts_out_of_date(
            seller_id=dispute.seller_id,
            service_line_id=invoice.service_line_id,
            after_period=invoice.period,
            reason=f"dispute D-{dispute.pk} accepted as a pending adjustment",
        )
    dispute.state = State.ACCEPTED
    dispute.decision = decision
    dispute.decision_reason = reason
    dispute.decided_by = _user(by)
    dispute.decided_at = now
    dispute.save()
    audit.record(
        "dispute.accepted",
        dispute,
        by=by,
        data={
            "decision": decision,
            "reason": reason,
            "difference": f"{dispute.difference:f}",
            "credit_note": dispute.credit_note.number if dispute.credit_note else None,
        },
        now=now,
    )
    _notify_seller(dispute, "accepted", body=reason)


def reject_dispute(*, dispute: Dispute, reason: str, by=None, now: datetime | None = None) -> Dispute:
    """Ops reject a dispute with a written reason: no money changes."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("Give the reason for the decision."))
    with transaction.atomic():
        locked = _lock(dispute)
        if locked.state == State.REJECTED:
            return locked
        if locked.state not in Dispute.ACTIVE_STATES:
            raise _not_now(locked)
        locked.state = State.REJECTED
        locked.decision_reason = reason
        locked.decided_by = _user(by)
        locked.decided_at = now
        locked.save()
        audit.record("dispute.rejected", locked, by=by, data={"reason": reason}, now=now)
        _notify_seller(locked, "rejected", body=reason)
    return locked


def withdraw_dispute(*, dispute: Dispute, by=None, now: datetime | None = None) -> Dispute:
    """The seller withdraws its dispute (before a decision)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(dispute)
        if locked.state == State.WITHDRAWN:
            return locked
        if locked.state not in Dispute.ACTIVE_STATES:
            raise _not_now(locked)
        locked.state = State.WITHDRAWN
        locked.closed_at = now
        locked.save()
        audit.record("dispute.withdrawn", locked, by=by, now=now)
        _notify_ops(locked, "withdrawn")
    return locked


def close_dispute(*, dispute: Dispute, by=None, now: datetime | None = None) -> Dispute:
    """Close a decided dispute (accepted or rejected): its thread is kept, read-only."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(dispute)
        if locked.state == State.CLOSED:
            return locked
        if locked.state not in (State.ACCEPTED, State.REJECTED):
            raise _not_now(locked)
        locked.state = State.CLOSED
        locked.closed_at = now
        locked.save()
        audit.record("dispute.closed", locked, by=by, now=now)
        _notify_seller(locked, "closed")
    return locked


def reply_to_dispute(
    *, dispute: Dispute, by, body: str, from_seller: bool, files: Sequence = (), now: datetime | None = None
) -> DisputeMessage:
    """A message in the dispute's thread (with evidence files), emailed to the other side."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise BillingError(_("Write a message."))
    _check_files(files)
    with transaction.atomic():
        locked = _lock(dispute)
        if locked.state in (State.CLOSED, State.WITHDRAWN):
            raise BillingError(
                _("Dispute D-%(id)s is %(state)s: its thread is closed.")
                % {"id": locked.pk, "state": locked.get_state_display()}
            )
        message = DisputeMessage.objects.create(
            dispute=locked, author=_user(by), from_seller=from_seller, body=body, created_at=now
        )
        _store_files(message, files)
        audit.record(
            "dispute.replied", locked, by=by, data={"from_seller": from_seller, "files": len(files)}, now=now
        )
        if from_seller:
            _notify_ops(locked, "replied", body=body)
        else:
            _notify_seller(locked, "replied", body=body)
    return message


def _lock(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("invoice", "seller", "line")
        .get(pk=dispute.pk)
    )


def _not_now(dispute: Dispute) -> BillingError:
    return BillingError(
        _("Dispute D-%(id)s is %(state)s: this step is not possible now.")
        % {"id": dispute.pk, "state": dispute.get_state_display()}
    )


# --- evidence -----------------------------------------------------------------------------------------------


def _check_files(files: Sequence) -> None:
    """Every file through the untrusted-file module before anything is stored (a refusal stores nothing)."""
    if len(files) > MAX_EVIDENCE_FILES:
        raise BillingError(_("Attach at most %(count)s files at a time.") % {"count": MAX_EVIDENCE_FILES})
    for file in files:
        try:
            file.detected_type = validate_document(file)
        except ValidationError as exc:
            raise BillingError(
                _("%(name)s: %(problem)s")
                % {"name": getattr(file, "name", "file"), "problem": " ".join(exc.messages)}
            ) from None


def _store_files(message: DisputeMessage, files: Sequence) -> None:
    for file in files:
        mime_type = getattr(file, "detected_type", None) or validate_document(file)
        original = str(getattr(file, "name", "evidence"))[:200]
        attachment = DisputeAttachment(message=message, name=original, mime_type=mime_type, size=file.size)
        attachment.file.save(storage_name(original, mime_type), file, save=False)
        attachment.save()


# --- emails -------------------------------------------------------------------------------------------------


def _seller_recipients(seller) -> dict[str, list[str]]:
    """The seller's users who answer for its bills (owners and finance), grouped by the language each reads
    (their own, else the seller's). A dispute is a conversation with them; the billing contacts receive the
    invoices and credit notes themselves (``billing.sending``)."""
    by_language: dict[str, list[str]] = {}
    for email, language in (
        SellerUser.objects.filter(
            seller_id=seller.pk,
            user__is_active=True,
            role__in=[SellerUser.Role.OWNER, SellerUser.Role.FINANCE],
        )
        .order_by("user__email")
        .values_list("user__email", "user__language")
    ):
        by_language.setdefault(language or seller.language, []).append(email)
    return by_language


def _notify_seller(dispute: Dispute, event: str, *, body: str = "") -> None:
    for language, recipients in sorted(_seller_recipients(dispute.invoice.seller).items()):
        send_templated_email(
            to=recipients,
            template="dispute_event",
            language=language,
            context=_email_context(dispute, event, body),
        )


def _notify_ops(dispute: Dispute, event: str, *, body: str = "") -> None:
    """Staff with the ops role, one message per language they read."""
    by_language: dict[str, list[str]] = {}
    for email, language in (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name="ops")
        .exclude(email="")
        .order_by("email")
        .values_list("email", "language")
        .distinct()
    ):
        by_language.setdefault(language or settings.LANGUAGE_CODE, []).append(email)
    for language, recipients in sorted(by_language.items()):
        send_templated_email(
            to=recipients,
            template="dispute_event",
            language=language,
            context={**_email_context(dispute, event, body), "to_ops": True},
        )


def _notify_seller_of_system_disputes(invoice: Invoice, disputes: list[Dispute]) -> None:
    for language, recipients in sorted(_seller_recipients(invoice.seller).items()):
        send_templated_email(
            to=recipients,
            template="dispute_system_opened",
            language=language,
            context={"invoice": invoice, "disputes": disputes},
        )


def _email_context(dispute: Dispute, event: str, body: str) -> dict[str, Any]:
    invoice = dispute.invoice

    def money(amount):
        return None if amount is None else f"{format_amount(amount, invoice.currency)} {invoice.currency}"

    return {
        "dispute": dispute,
        "invoice": invoice,
        "event": event,
        "body": body,
        "difference": money(dispute.difference),
        "line_amount": money(dispute.line_amount),
        "proposed_line_amount": money(dispute.proposed_line_amount),
        "credit_note": dispute.credit_note.number if dispute.credit_note_id else "",
    }


# --- helpers ------------------------------------------------------------------------------------------------


def _period(invoice: Invoice) -> Period:
    return Period(invoice.period.year, invoice.period.month)


def _user(by):
    return by if (by is not None and getattr(by, "is_authenticated", False)) else None


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or exc.__class__.__name__


def open_disputes_count(seller) -> int:
    """The seller's disputes still being argued (the dashboard's figure)."""
    return Dispute.objects.filter(seller=seller, state__in=Dispute.ACTIVE_STATES).count()


__all__ = [
    "Figures",
    "accept_dispute",
    "close_dispute",
    "open_dispute",
    "open_system_disputes",
    "propose_dispute",
    "recompute",
    "reject_dispute",
    "reply_to_dispute",
    "withdraw_dispute",
]
