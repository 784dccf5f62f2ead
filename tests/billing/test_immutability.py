"""Issued means immutable (SPEC §9): the model layer refuses changes and deletes of issued invoices, credit
notes and their lines; on PostgreSQL triggers refuse a raw UPDATE, DELETE or line change too, while the status
fields still change; the audit trail is append-only."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from billing.models import CreditNoteLine, Invoice, InvoiceLine, IssuedDocumentError
from billing.services import create_credit_note, issue_credit_note, issue_invoice
from portal.audit import record
from portal.models import AuditEvent
from tests.billing.documents import billing_world, draft_invoice

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's")


@pytest.fixture
def issued(db):
    _, _, contract = billing_world()
    return issue_invoice(invoice=draft_invoice(contract), now=NOW)


@pytest.fixture
def credit_note(issued):
    note = create_credit_note(
        invoice=issued, lines=[{"description": "Refund", "amount": "10.00"}], reason="x"
    )
    return issue_credit_note(credit_note=note, now=NOW)


def raw(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- model layer ---


def test_the_model_refuses_a_change_or_delete_of_an_issued_invoice(issued):
    issued.total = Decimal("1.00")
    with pytest.raises(IssuedDocumentError):
        issued.save()
    with pytest.raises(IssuedDocumentError):
        issued.save(update_fields=["total", "payment_status"])
    with pytest.raises(IssuedDocumentError):
        Invoice.objects.get().delete()
    assert Invoice.objects.get().total == Decimal("100.00")


def test_the_model_refuses_a_change_to_the_lines_of_an_issued_invoice(issued):
    line = issued.lines.get()
    line.amount = Decimal("1.00")
    with pytest.raises(IssuedDocumentError):
        line.save()
    with pytest.raises(IssuedDocumentError):
        line.delete()
    with pytest.raises(IssuedDocumentError):
        InvoiceLine.objects.create(
            invoice=issued, position=2, code="x", section="storage", description="x", quantity=1, unit="x",
            amount=Decimal(1), formula="1",
        )  # fmt: skip
    assert list(InvoiceLine.objects.values_list("amount", flat=True)) == [Decimal("100.00")]


def test_the_model_refuses_a_change_to_an_issued_credit_note_and_its_lines(credit_note):
    credit_note.reason = "another reason"
    with pytest.raises(IssuedDocumentError):
        credit_note.save()
    with pytest.raises(IssuedDocumentError):
        credit_note.delete()
    with pytest.raises(IssuedDocumentError):
        credit_note.lines.get().delete()


def test_the_model_refuses_a_change_to_an_audit_event(issued):
    event = AuditEvent.objects.first()
    event.action = "forged"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


# --- PostgreSQL triggers ---


@on_postgresql
def test_a_raw_update_of_an_issued_invoices_content_is_refused(issued):
    with pytest.raises(DatabaseError, match="Cannot update rows"):
        raw("UPDATE billing_invoice SET total = 1 WHERE id = %s", [issued.pk])
    with pytest.raises(DatabaseError, match="Cannot update rows"):
        raw("UPDATE billing_invoice SET number = 'X-1' WHERE id = %s", [issued.pk])
    with pytest.raises(DatabaseError, match="Cannot update rows"):
        raw("UPDATE billing_invoice SET status = 'draft' WHERE id = %s", [issued.pk])
    assert Invoice.objects.values_list("total", "number", "status").get() == (
        Decimal("100.00"),
        "ACME-2026-000001",
        "issued",
    )


@on_postgresql
def test_a_raw_update_of_the_status_fields_still_works(issued):
    changed = raw(
        "UPDATE billing_invoice SET payment_status = 'paid', amount_paid = 100, sent_count = 3, "
        "delivery_status = 'sent' WHERE id = %s",
        [issued.pk],
    )
    assert changed == 1
    assert Invoice.objects.values_list("payment_status", "amount_paid", "sent_count").get() == (
        "paid",
        Decimal("100.00"),
        3,
    )


@on_postgresql
def test_a_raw_delete_of_an_issued_invoice_is_refused_and_a_draft_is_deleted(issued):
    with pytest.raises(DatabaseError, match="Cannot delete rows"):
        raw("DELETE FROM billing_invoice WHERE id = %s", [issued.pk])
    draft = draft_invoice(issued.contract, period=issued.period.replace(month=7))
    raw("DELETE FROM billing_invoiceline WHERE invoice_id = %s", [draft.pk])
    assert raw("DELETE FROM billing_invoice WHERE id = %s", [draft.pk]) == 1
    assert list(Invoice.objects.values_list("pk", flat=True)) == [issued.pk]


@on_postgresql
def test_raw_changes_to_the_lines_of_an_issued_invoice_are_refused(issued):
    line = issued.lines.get()
    with pytest.raises(DatabaseError, match="lines of an issued document"):
        raw("UPDATE billing_invoiceline SET amount = 1 WHERE id = %s", [line.pk])
    with pytest.raises(DatabaseError, match="lines of an issued document"):
        raw("DELETE FROM billing_invoiceline WHERE id = %s", [line.pk])
    with pytest.raises(DatabaseError, match="lines of an issued document"):
        raw(
            "INSERT INTO billing_invoiceline (invoice_id, position, code, section, description, quantity, "
            "unit, amount, formula, inputs, source_refs, rows_count, rule_kind, ledger) "
            "VALUES (%s, 2, 'x', 'storage', 'x', 1, 'x', 5, '5', '{}', '[]', 0, '', '')",
            [issued.pk],
        )
    draft = draft_invoice(issued.contract, period=issued.period.replace(month=7))
    with pytest.raises(DatabaseError, match="lines of an issued document"):
        raw("UPDATE billing_invoiceline SET invoice_id = %s WHERE invoice_id = %s", [issued.pk, draft.pk])
    assert raw("UPDATE billing_invoiceline SET amount = 7 WHERE invoice_id = %s", [draft.pk]) == 1
    assert list(InvoiceLine.objects.filter(invoice=issued).values_list("amount", flat=True)) == [
        Decimal("100.00")
    ]


@on_postgresql
def test_raw_changes_to_an_issued_credit_note_and_its_lines_are_refused(credit_note):
    with pytest.raises(DatabaseError, match="Cannot update rows"):
        raw("UPDATE billing_creditnote SET total = 1 WHERE id = %s", [credit_note.pk])
    with pytest.raises(DatabaseError, match="Cannot delete rows"):
        raw("DELETE FROM billing_creditnote WHERE id = %s", [credit_note.pk])
    with pytest.raises(DatabaseError, match="lines of an issued document"):
        raw("UPDATE billing_creditnoteline SET amount = 1 WHERE credit_note_id = %s", [credit_note.pk])
    assert list(CreditNoteLine.objects.values_list("amount", flat=True)) == [Decimal("10.00")]


@on_postgresql
def test_the_audit_trail_refuses_a_raw_update_or_delete(db):
    _, _, contract = billing_world()
    event = record("test.event", contract, now=NOW)
    with pytest.raises(DatabaseError, match="Cannot update or delete rows"):
        raw("UPDATE portal_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="Cannot update or delete rows"):
        raw("DELETE FROM portal_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"
