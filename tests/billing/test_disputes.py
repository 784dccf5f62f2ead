"""Disputes (SPEC §10, issue 14): opened by the seller within the window, proposed by recomputing the whole
invoice with the seller's figures, accepted as a credit note or a pending adjustment, or rejected; every step
an audit event and an email to the other side."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing import close
from billing.disputes import (
    Figures,
    accept_dispute,
    close_dispute,
    open_dispute,
    propose_dispute,
    reject_dispute,
    reply_to_dispute,
    withdraw_dispute,
)
from billing.models import CreditNote, Dispute, DisputeAttachment, Invoice, PendingAdjustment
from billing.services import BillingError
from portal.models import AuditEvent
from tests.billing.disputes_world import ISSUED_AT, closed_and_issued, ops_user

LATER = ISSUED_AT + timedelta(days=3)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def issued(owner):
    invoice, _contract = closed_and_issued(owner.seller)
    return invoice


def parcel_line(invoice, order_no="P2"):
    for line in invoice.lines.filter(ledger="outbound"):
        if any(p.order_no == order_no for p in _parcels(line)):
            return line
    raise AssertionError(order_no)


def _parcels(line):
    from inventory.models import OutboundParcelRow

    return OutboundParcelRow.objects.filter(pk__in=line.source_refs)


def storage_line(invoice):
    return invoice.lines.get(ledger="stock")


def weight_dispute(invoice, owner, weight="2.0", **kwargs):
    return open_dispute(
        line=parcel_line(invoice),
        by=owner.user,
        reason=Dispute.Reason.WRONG_WEIGHT,
        text="P2 weighed 2 kg when it left us.",
        figures=Figures(reference="P2", weight_kg=Decimal(weight)),
        now=LATER,
        **kwargs,
    )


def test_the_issued_month_is_what_the_disputes_start_from(issued):
    # Storage: A 0.002 m³ a unit × (10 + 20 + 20) units + B 0.12 m³ × 2 = 0.34 CBM-days × 3.00 = 1.02
    # Parcels: P1 1.2 kg -> 2 kg: 16.00; P2 3.001 kg -> 4 kg, 5 kinds: 13 + 3 × 3 + 0.5 = 22.50
    assert (issued.status, issued.total, issued.sections["storage"]) == ("issued", Decimal("39.52"), "1.02")


def test_a_weight_dispute_is_proposed_by_recomputing_the_invoice_and_accepted_as_a_credit_note(
    issued, owner, sent_mail
):
    ops = ops_user()
    dispute = weight_dispute(issued, owner)
    assert (dispute.state, dispute.origin, dispute.seller) == ("open", "seller", owner.seller)
    assert dispute.corrections == [
        {"op": "set", "kind": "outbound", "row": dispute.line.source_refs[0], "values": {"weight_kg": "2.0"}}
    ]

    proposed = propose_dispute(dispute_id=dispute.pk, now=LATER)

    # P2 at 2.0 kg -> 2 kg: 13 + 3 × 1 + 0.5 = 16.50 instead of 22.50
    assert (proposed.state, proposed.line_amount, proposed.proposed_line_amount) == (
        "proposed",
        Decimal("22.50"),
        Decimal("16.50"),
    )
    assert (proposed.original_total, proposed.proposed_total, proposed.difference) == (
        Decimal("39.52"),
        Decimal("33.52"),
        Decimal("-6.00"),
    )
    assert "22.50 → 16.50" in proposed.formula and "33.52 − 39.52 = -6.00 CNY" in proposed.formula

    accepted = accept_dispute(
        dispute=proposed, decision="credit_note", reason="The scale was off.", by=ops, now=LATER
    )

    note = accepted.credit_note
    assert (accepted.state, accepted.decision, note.status, note.total) == (
        "accepted",
        "credit_note",
        "issued",
        Decimal("6.00"),
    )
    issued.refresh_from_db()
    assert (issued.amount_credited, issued.balance) == (Decimal("6.00"), Decimal("33.52"))
    assert list(
        AuditEvent.objects.filter(object_type="billing.dispute", object_id=str(dispute.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["dispute.opened", "dispute.proposed", "dispute.accepted"]
    mail = sent_mail()
    to_ops = [m for m in mail if m.to == ["ops@example.com"]]
    to_seller = [m for m in mail if m.to == [owner.user.email]]
    assert sorted(m.subject for m in to_ops) == [
        f"Dispute D-{dispute.pk} opened on invoice {issued.number}",
        f"Dispute D-{dispute.pk}: proposed adjustment for invoice {issued.number}",
    ]
    assert sorted(m.subject for m in to_seller) == [
        f"Dispute D-{dispute.pk} accepted (invoice {issued.number})",
        f"Dispute D-{dispute.pk}: proposed adjustment for invoice {issued.number}",
    ]
    [accepted_mail] = [m for m in to_seller if "accepted" in m.subject]
    assert note.number in accepted_mail.body and "6.00 CNY" in accepted_mail.body


def test_accepting_twice_creates_one_credit_note(issued, owner):
    dispute = propose_dispute(dispute_id=weight_dispute(issued, owner).pk, now=LATER)
    first = accept_dispute(dispute=dispute, decision="credit_note", reason="ok", now=LATER)
    again = accept_dispute(dispute=dispute, decision="credit_note", reason="ok", now=LATER)

    assert again.credit_note == first.credit_note
    assert CreditNote.objects.count() == 1
    with pytest.raises(BillingError, match="already accepted"):
        accept_dispute(dispute=dispute, decision="pending_adjustment", reason="ok", now=LATER)
    assert PendingAdjustment.objects.count() == 0
    issued.refresh_from_db()
    assert issued.amount_credited == Decimal("6.00")


def test_a_rejected_dispute_changes_no_money(issued, owner, sent_mail):
    dispute = propose_dispute(dispute_id=weight_dispute(issued, owner).pk, now=LATER)
    before = Invoice.objects.values().get(pk=issued.pk)

    with pytest.raises(BillingError, match="reason"):
        reject_dispute(dispute=dispute, reason="  ", now=LATER)
    rejected = reject_dispute(dispute=dispute, reason="The parcel was weighed at 3.001 kg.", now=LATER)

    assert (rejected.state, rejected.decision, rejected.credit_note) == ("rejected", "", None)
    assert Invoice.objects.values().get(pk=issued.pk) == before
    assert (CreditNote.objects.count(), PendingAdjustment.objects.count()) == (0, 0)
    with pytest.raises(BillingError, match="rejected"):
        accept_dispute(dispute=rejected, decision="credit_note", reason="x", now=LATER)
    assert close_dispute(dispute=rejected, now=LATER).state == "closed"
    assert any("3.001 kg" in m.body and "rejected" in m.subject for m in sent_mail())


def test_credit_notes_from_disputes_never_total_more_than_the_invoice(issued, owner):
    """Both parcels and all the stock disputed as not ours: each proposal counts the accepted ones first, so
    the credit notes add up to the whole invoice and not one cent more."""
    disputes = [
        open_dispute(
            line=line,
            by=owner.user,
            reason=Dispute.Reason.NOT_OURS,
            text="Not ours",
            now=LATER,
        )
        for line in issued.lines.order_by("position")
    ]
    for dispute in disputes:
        propose_dispute(dispute_id=dispute.pk, now=LATER)
    credited = Decimal(0)
    for dispute in disputes:
        dispute.refresh_from_db()
        try:
            accept_dispute(dispute=dispute, decision="credit_note", reason="ok", now=LATER)
        except BillingError as exc:  # another was accepted since its proposal: proposed again, then accepted
            assert "computed again" in str(exc)
            dispute.refresh_from_db()
            accept_dispute(dispute=dispute, decision="credit_note", reason="ok", now=LATER)
        dispute.refresh_from_db()
        credited += dispute.credit_note.total
    issued.refresh_from_db()
    assert credited == issued.total == issued.amount_credited == Decimal("39.52")
    assert issued.balance == 0
    assert sum(note.total for note in CreditNote.objects.all()) == issued.total


def test_the_window_closes_with_a_clear_message(issued, owner):
    last_day = issued.issue_date + timedelta(days=30)
    late = datetime(last_day.year, last_day.month, last_day.day, 23, 0, tzinfo=UTC) + timedelta(days=1)

    with pytest.raises(BillingError) as refused:
        open_dispute(
            line=parcel_line(issued),
            by=owner.user,
            reason="wrong_weight",
            text="late",
            figures=Figures(reference="P2", weight_kg=Decimal(2)),
            now=late,
        )

    assert str(refused.value.messages[0]) == (
        f"The dispute window of invoice {issued.number} closed on {last_day.isoformat()} "
        "(30 days after issue). Write to the warehouse if you still find a mistake."
    )
    assert Dispute.objects.count() == 0


def test_the_operators_window_is_its_own(issued, owner):
    issued.operator.dispute_window_days = 3
    issued.operator.save()
    with pytest.raises(BillingError, match="3 days after issue"):
        open_dispute(
            line=parcel_line(issued),
            by=owner.user,
            reason="wrong_weight",
            text="x",
            figures=Figures(reference="P2", weight_kg=Decimal(2)),
            now=ISSUED_AT + timedelta(days=4),
        )


def test_one_open_dispute_per_line(issued, owner):
    weight_dispute(issued, owner)
    with pytest.raises(BillingError, match="already has an open dispute"):
        weight_dispute(issued, owner)
    assert Dispute.objects.count() == 1


def test_figures_that_do_not_fit_the_line_are_refused(issued, owner):
    line = storage_line(issued)
    cases = [
        ("wrong_weight", Figures(weight_kg=Decimal(1)), "storage line can be disputed for its quantity"),
        ("wrong_quantity", Figures(quantity=Decimal(3)), "name the item"),
        ("wrong_quantity", Figures(reference="Z", quantity=Decimal(3)), "Item Z is not billed"),
        ("wrong_quantity", Figures(reference="A", quantity=Decimal("2.5")), "whole number"),
        ("wrong_days", Figures(reference="A"), "first and last day"),
        ("wrong_rate", Figures(), "amount you believe"),
        ("wrong_rate", Figures(amount=Decimal("0.001")), "at most 2 decimals"),
    ]
    for reason, figures, message in cases:
        with pytest.raises(BillingError, match=message):
            open_dispute(line=line, by=owner.user, reason=reason, text="x", figures=figures, now=LATER)
    assert Dispute.objects.count() == 0


def test_a_storage_quantity_dispute_uses_the_sellers_stock_for_the_disputed_days(issued, owner):
    dispute = open_dispute(
        line=storage_line(issued),
        by=owner.user,
        reason="wrong_quantity",
        text="We had 5 units on the 2nd and 3rd.",
        figures=Figures(
            reference="A", quantity=Decimal(5), day_from=date(2016, 6, 2), day_to=date(2016, 6, 3)
        ),
        now=LATER,
    )
    proposed = propose_dispute(dispute_id=dispute.pk, now=LATER)
    # A: 0.002 m³ × (10 + 5 + 5) = 0.04, B 0.24: 0.28 × 3.00 = 0.84 instead of 1.02
    assert (proposed.line_amount, proposed.proposed_line_amount, proposed.difference) == (
        Decimal("1.02"),
        Decimal("0.84"),
        Decimal("-0.18"),
    )


def test_a_rate_claim_replaces_the_lines_amount(issued, owner):
    dispute = open_dispute(
        line=parcel_line(issued, "P1"),
        by=owner.user,
        reason="wrong_rate",
        text="Our contract says 10.00 for that parcel.",
        figures=Figures(amount=Decimal("10.00")),
        now=LATER,
    )
    proposed = propose_dispute(dispute_id=dispute.pk, now=LATER)
    assert (proposed.proposed_line_amount, proposed.difference) == (Decimal("10.00"), Decimal("-6.00"))


def test_the_seller_withdraws_and_the_thread_closes(issued, owner, sent_mail):
    ops = ops_user()
    dispute = weight_dispute(issued, owner)
    reply_to_dispute(
        dispute=dispute, by=ops, body="Send the scale ticket, please.", from_seller=False, now=LATER
    )
    reply_to_dispute(
        dispute=dispute,
        by=owner.user,
        body="Attached.",
        from_seller=True,
        files=[SimpleUploadedFile("ticket.pdf", PDF, content_type="application/pdf")],
        now=LATER,
    )
    withdrawn = withdraw_dispute(dispute=dispute, by=owner.user, now=LATER)

    assert withdrawn.state == "withdrawn"
    assert [m.from_seller for m in withdrawn.messages.order_by("pk")] == [True, False, True]
    attachment = DisputeAttachment.objects.get()
    assert (attachment.name, attachment.mime_type, attachment.file.read()) == (
        "ticket.pdf",
        "application/pdf",
        PDF,
    )
    with pytest.raises(BillingError, match="thread is closed"):
        reply_to_dispute(dispute=dispute, by=owner.user, body="again", from_seller=True, now=LATER)
    with pytest.raises(BillingError, match="not possible now"):
        reject_dispute(dispute=dispute, reason="x")
    assert propose_dispute(dispute_id=dispute.pk, now=LATER).state == "withdrawn"
    subjects = [m.subject for m in sent_mail()]
    assert f"New message on dispute D-{dispute.pk} (invoice {issued.number})" in subjects
    assert f"Dispute D-{dispute.pk} withdrawn (invoice {issued.number})" in subjects


def test_evidence_goes_through_the_untrusted_file_module_and_a_bad_file_stores_nothing(
    issued, owner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("scale.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")

    with pytest.raises(BillingError, match="scale.pdf: Only PDF, JPEG or PNG"):
        weight_dispute(issued, owner, files=[fake])

    assert (Dispute.objects.count(), DisputeAttachment.objects.count()) == (0, 0)
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_a_pending_adjustment_is_carried_once_by_the_next_issued_invoice(owner):
    from tests.billing.disputes_world import JULY, STOCK

    invoice, contract = closed_and_issued(owner.seller)
    july_stock = [row.replace("2016-06", "2016-07") for row in STOCK]
    # July's draft exists before the dispute is accepted.
    from tests.billing.test_close import upload

    upload("stock", july_stock, seller=owner.seller, line=contract.service_line)
    close.close_seller_month(seller=owner.seller, period=JULY)
    july = Invoice.objects.get(contract=contract, period=JULY.first_day)
    assert not july.lines.filter(code="dispute_adjustment").exists()

    dispute = propose_dispute(dispute_id=weight_dispute(invoice, owner).pk, now=LATER)
    accepted = accept_dispute(dispute=dispute, decision="pending_adjustment", reason="next month", now=LATER)
    adjustment = accepted.pending_adjustment
    assert (adjustment.amount, adjustment.carried_by) == (Decimal("-6.00"), None)
    july.refresh_from_db()
    assert july.is_stale  # it was computed without the adjustment
    invoice.refresh_from_db()
    assert invoice.amount_credited == 0  # nothing changes on June's invoice

    for _ in range(3):  # recomputed as often as ops like: it carries the adjustment each time, once
        close.close_seller_month(seller=owner.seller, period=JULY)
        july.refresh_from_db()
        lines = list(july.lines.filter(code="dispute_adjustment"))
        assert [(line.section, line.amount) for line in lines] == [("adjustments", Decimal("-6.00"))]
        assert july.total == Decimal("1.02") - Decimal("6.00")

    from billing.services import issue_invoice

    issued_july = issue_invoice(invoice=july, now=ISSUED_AT + timedelta(days=31))
    adjustment.refresh_from_db()
    assert (adjustment.carried_by, issued_july.total) == (issued_july, Decimal("-4.98"))

    # August's close does not carry it again.
    from tariffs.rules import Period

    upload(
        "stock",
        [row.replace("2016-06", "2016-08") for row in STOCK],
        seller=owner.seller,
        line=contract.service_line,
    )
    close.close_seller_month(seller=owner.seller, period=Period(2016, 8))
    august = Invoice.objects.get(contract=contract, period=date(2016, 8, 1))
    assert not august.lines.filter(code="dispute_adjustment").exists()
    assert PendingAdjustment.objects.filter(carried_by__isnull=False).count() == 1


def test_a_draft_computed_before_an_adjustment_cannot_be_issued_without_it(owner):
    from billing.services import issue_invoice
    from tests.billing.disputes_world import JULY, STOCK
    from tests.billing.test_close import upload

    invoice, contract = closed_and_issued(owner.seller)
    upload(
        "stock",
        [r.replace("2016-06", "2016-07") for r in STOCK],
        seller=owner.seller,
        line=contract.service_line,
    )
    close.close_seller_month(seller=owner.seller, period=JULY)
    dispute = propose_dispute(dispute_id=weight_dispute(invoice, owner).pk, now=LATER)
    accept_dispute(dispute=dispute, decision="pending_adjustment", reason="next month", now=LATER)
    july = Invoice.objects.get(contract=contract, period=JULY.first_day)
    Invoice.objects.filter(pk=july.pk).update(is_stale=False)  # as if the stale mark had been lost

    with pytest.raises(BillingError, match="adjustments from disputes"):
        issue_invoice(invoice=july, now=ISSUED_AT + timedelta(days=31))

    july.refresh_from_db()
    assert (july.status, july.is_stale) == ("draft", True)
    assert PendingAdjustment.objects.get().carried_by is None


def test_proposing_again_gives_the_same_proposal_and_tells_no_one_twice(issued, owner, sent_mail):
    dispute = weight_dispute(issued, owner)
    first = propose_dispute(dispute_id=dispute.pk, now=LATER)
    mails = len(sent_mail())
    again = propose_dispute(dispute_id=dispute.pk, now=LATER)
    assert (again.difference, again.proposed_total) == (first.difference, first.proposed_total)
    assert len(sent_mail()) == mails
    assert AuditEvent.objects.filter(action="dispute.proposed", object_id=str(dispute.pk)).count() == 1
