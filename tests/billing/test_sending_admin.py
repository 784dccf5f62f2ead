"""Finance emails invoices from admin (SPEC §9 Send, §13): one invoice (action or the invoice page's button)
or every issued invoice of a month; ops and other roles without ``billing.send_invoice`` are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.models import InvoiceSend
from billing.services import issue_invoice
from tests.billing.documents import billing_world, draft_invoice, staff
from tests.factories import UserFactory

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
CHANGELIST = "/admin/billing/invoice/"


@pytest.fixture
def month(db):
    """June 2016: two issued invoices of two sellers (operators acme and other), one draft; July: one."""
    _seller, _line, contract = billing_world()
    _other, _other_line, other_contract = billing_world(operator_code="other", seller_code="beta")
    june = [
        issue_invoice(invoice=draft_invoice(contract), now=NOW),
        issue_invoice(invoice=draft_invoice(other_contract), now=NOW),
    ]
    july = issue_invoice(invoice=draft_invoice(contract, period=date(2016, 7, 1)), now=NOW)
    draft = draft_invoice(other_contract, period=date(2016, 8, 1))
    return june, july, draft


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def sent_invoices() -> list[str]:
    return sorted(InvoiceSend.objects.values_list("invoice__number", flat=True))


def test_finance_emails_selected_invoices_with_the_action(client, month):
    june, july, _draft = month
    client.force_login(staff("finance"))
    response = client.post(
        CHANGELIST, {"action": "send_by_email", "_selected_action": [june[0].pk, july.pk]}, follow=True
    )
    assert texts(response) == ["2 invoices are being emailed to their billing contacts."]
    assert sent_invoices() == sorted([june[0].number, july.number])
    send = InvoiceSend.objects.get(invoice=july)
    assert (send.trigger, send.status, send.requested_by.email) == (
        "manual",
        "preparing",
        "finance@example.com",
    )


def test_finance_emails_one_invoice_from_its_page(client, month):
    june, _july, _draft = month
    client.force_login(staff("finance"))
    page = client.get(reverse("admin:billing_invoice_change", args=[june[0].pk])).content.decode()
    send_url = reverse("admin:billing_invoice_send", args=[june[0].pk])
    assert f'action="{send_url}"' in page and "Email to the billing contacts" in page
    assert client.get(send_url).status_code == 403  # POST only

    response = client.post(send_url, follow=True)

    assert texts(response) == [f"Invoice {june[0].number} is being emailed to its billing contacts."]
    assert sent_invoices() == [june[0].number]


def test_finance_emails_a_months_issued_invoices_not_sent_yet(client, month):
    june, july, _draft = month
    client.force_login(staff("finance"))
    url = reverse("admin:billing_invoice_send_month")
    assert client.get(url).status_code == 200
    response = client.post(url, {"month": "2016-13"})
    assert response.status_code == 200 and "Give the month as YYYY-MM" in response.content.decode()
    assert not InvoiceSend.objects.exists()

    june[1].delivery_status = "sent"  # emailed before: skipped unless asked again
    june[1].save(update_fields=["delivery_status"])
    response = client.post(url, {"month": "2016-06"}, follow=True)

    assert texts(response) == [
        "1 invoice of 2016-06 is being emailed.",
        f"{june[1].number} not emailed: already sent",
    ]
    assert sent_invoices() == [june[0].number]
    assert {s.trigger for s in InvoiceSend.objects.all()} == {"month"}

    InvoiceSend.objects.update(status="queued")
    response = client.post(url, {"month": "2016-06", "resend": "on", "operator": june[1].operator_id})
    assert sent_invoices() == sorted([june[0].number, june[1].number])


def test_ops_and_a_staff_member_without_the_send_permission_cannot_email_invoices(client, month):
    june, _july, _draft = month
    client.force_login(staff("ops"))
    response = client.post(
        CHANGELIST, {"action": "send_by_email", "_selected_action": [june[0].pk]}, follow=True
    )
    assert "No action selected." in texts(response)
    page = client.get(reverse("admin:billing_invoice_change", args=[june[0].pk])).content.decode()
    assert "Email to the billing contacts" not in page
    assert "Email a month&#x27;s invoices" not in client.get(CHANGELIST).content.decode()
    nobody = UserFactory(is_staff=True, email="nobody@example.com")  # staff without a role
    for user in (staff("ops", "ops2@example.com"), nobody):
        client.force_login(user)
        assert client.post(reverse("admin:billing_invoice_send", args=[june[0].pk])).status_code == 403
        assert (
            client.post(reverse("admin:billing_invoice_send_month"), {"month": "2016-06"}).status_code == 403
        )
    client.force_login(nobody)
    response = client.post(CHANGELIST, {"action": "send_by_email", "_selected_action": [june[0].pk]})
    assert response.status_code == 403
    assert not InvoiceSend.objects.exists()
    # Ops follow the deliveries (read-only), as finance does.
    client.force_login(staff("ops", "ops3@example.com"))
    assert client.get(reverse("admin:billing_invoicedelivery_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_invoicesend_changelist")).status_code == 200


def test_the_sending_admin_pages_answer_without_inline_code(client, month):
    june, _july, _draft = month
    client.force_login(staff("finance"))
    client.post(CHANGELIST, {"action": "send_by_email", "_selected_action": [june[0].pk]})
    send = InvoiceSend.objects.get()
    for url in (
        reverse("admin:billing_invoice_changelist"),
        reverse("admin:billing_invoice_change", args=[june[0].pk]),
        reverse("admin:billing_invoice_send_month"),
        reverse("admin:billing_invoicesend_changelist"),
        reverse("admin:billing_invoicesend_change", args=[send.pk]),
        reverse("admin:billing_invoicedelivery_changelist") + "?status__exact=failed",
    ):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>" not in html and " style=" not in html, url
