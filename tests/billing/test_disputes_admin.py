"""Admin of disputes: ops accept (credit note now, with a reason) and reject from the list; finance only
reads; the list shows how long each dispute has been open and filters by age, operator and state."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from billing.disputes import Figures, open_dispute, propose_dispute
from billing.models import CreditNote, Dispute
from tests.billing.disputes_world import ISSUED_AT, closed_and_issued, ops_user
from tests.billing.documents import staff
from tests.billing.test_disputes import parcel_line

CHANGELIST = "admin:billing_dispute_changelist"


@pytest.fixture
def proposed(owner):
    invoice, _contract = closed_and_issued(owner.seller)
    dispute = open_dispute(
        line=parcel_line(invoice),
        by=owner.user,
        reason="wrong_weight",
        text="2 kg",
        figures=Figures(reference="P2", weight_kg=Decimal(2)),
        now=ISSUED_AT + timedelta(days=1),
    )
    return propose_dispute(dispute_id=dispute.pk)


def test_ops_accept_a_dispute_as_a_credit_note_with_a_reason(client, proposed):
    client.force_login(ops_user())
    url = reverse(CHANGELIST)
    form = client.post(url, {"action": "accept", ACTION_CHECKBOX_NAME: [proposed.pk]})
    assert form.status_code == 200 and b'name="decision"' in form.content

    missing_reason = client.post(
        url,
        {"action": "accept", "apply": "1", ACTION_CHECKBOX_NAME: [proposed.pk], "decision": "credit_note"},
    )
    assert missing_reason.status_code == 200 and CreditNote.objects.count() == 0

    done = client.post(
        url,
        {
            "action": "accept",
            "apply": "1",
            ACTION_CHECKBOX_NAME: [proposed.pk],
            "decision": "credit_note",
            "reason": "Scale ticket checked.",
        },
    )
    assert done.status_code == 302
    proposed.refresh_from_db()
    assert (proposed.state, proposed.credit_note.total, proposed.decision_reason) == (
        "accepted",
        Decimal("6.00"),
        "Scale ticket checked.",
    )
    page = client.get(reverse("admin:billing_dispute_change", args=[proposed.pk])).content.decode()
    assert "2 kg" in page and proposed.credit_note.number in page


def test_ops_reject_with_a_reason_and_finance_cannot_decide(client, proposed):
    client.force_login(staff("finance"))
    client.post(
        reverse(CHANGELIST),
        {"action": "reject", "apply": "1", ACTION_CHECKBOX_NAME: [proposed.pk], "reason": "no"},
    )
    proposed.refresh_from_db()
    assert proposed.state == "proposed"
    assert client.get(reverse(CHANGELIST)).status_code == 200  # finance reads

    client.force_login(ops_user())
    client.post(
        reverse(CHANGELIST),
        {"action": "reject", "apply": "1", ACTION_CHECKBOX_NAME: [proposed.pk], "reason": "Weighed twice."},
    )
    proposed.refresh_from_db()
    assert (proposed.state, proposed.decision_reason) == ("rejected", "Weighed twice.")


def test_the_list_shows_how_long_each_dispute_is_open_and_filters_by_age(client, proposed):
    Dispute.objects.filter(pk=proposed.pk).update(opened_at=timezone.now() - timedelta(days=12))
    client.force_login(ops_user())
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "12 days" in page
    assert f"D-{proposed.pk}" in client.get(reverse(CHANGELIST), {"open_for": "7"}).content.decode()
    assert f"D-{proposed.pk}" not in client.get(reverse(CHANGELIST), {"open_for": "30"}).content.decode()
    operator = proposed.invoice.operator_id
    assert (
        f"D-{proposed.pk}"
        in client.get(
            reverse(CHANGELIST), {"invoice__operator__id__exact": operator, "state__exact": "proposed"}
        ).content.decode()
    )
