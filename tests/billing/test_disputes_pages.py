"""The seller's dispute pages (SPEC §13): dispute a line from the invoice with a file, see the proposal, the
outcome and the credit note; another seller's dispute and evidence are not found; the dashboard counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.disputes import accept_dispute, propose_dispute
from billing.models import Dispute, DisputeAttachment
from tests.billing.disputes_world import ISSUED_AT, closed_and_issued
from tests.billing.test_disputes import PDF, storage_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(owner):
    invoice, _contract = closed_and_issued(owner.seller)
    return invoice


@pytest.fixture
def in_window(monkeypatch):
    """The pages' today: three days after the invoice was issued."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: ISSUED_AT + timedelta(days=3))


def test_the_seller_disputes_a_storage_day_with_a_file_and_follows_it_to_a_credit_note(
    issued, owner_client, in_window, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    line = storage_line(issued)
    page = owner_client.get(reverse("billing:invoice-detail", args=[issued.pk])).content.decode()
    assert f'id="dispute-line-{line.position}"' in page

    response = owner_client.post(
        reverse("disputes:dispute-open", args=[issued.pk, line.position]),
        {
            "reason": "wrong_quantity",
            "text": "Only 5 units of A on the 2nd.",
            "reference": "A",
            "quantity": "5",
            "day_from": "2016-06-02",
            "day_to": "2016-06-02",
            "files": [SimpleUploadedFile("count.pdf", PDF, content_type="application/pdf")],
        },
    )

    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "disputes:dispute-detail", args=[dispute.pk]
    )
    assert DisputeAttachment.objects.get().message.dispute == dispute
    detail = owner_client.get(response["Location"]).content.decode()
    assert 'id="proposal-waiting"' in detail and "count.pdf" in detail

    propose_dispute(dispute_id=dispute.pk)
    detail = owner_client.get(response["Location"]).content.decode()
    # A: 0.002 m³ × (10 + 5 + 20) = 0.07 + B 0.24 = 0.31 × 3.00 = 0.93 instead of 1.02
    assert 'id="proposal-line-before">1.02 CNY' in detail and 'id="proposal-line-after">0.93 CNY' in detail
    assert 'id="proposal-difference">-0.09 CNY' in detail

    accepted = accept_dispute(dispute=dispute, decision="credit_note", reason="Recounted.")
    detail = owner_client.get(response["Location"]).content.decode()
    assert accepted.credit_note.number in detail and 'id="dispute-credit-note"' in detail
    page = owner_client.get(reverse("billing:invoice-detail", args=[issued.pk])).content.decode()
    assert f'id="line-dispute-{line.position}"' in page
    issued.refresh_from_db()
    assert issued.balance == Decimal("39.43")

    listing = owner_client.get(reverse("disputes:dispute-list"), {"state": "accepted", "month": "2016-06"})
    assert f'id="dispute-row-{dispute.pk}"' in listing.content.decode()
    listing = owner_client.get(reverse("disputes:dispute-list"), {"state": "open", "month": "bad"})
    assert listing.status_code == 200 and f'id="dispute-row-{dispute.pk}"' not in listing.content.decode()

    download = owner_client.get(
        reverse("disputes:dispute-attachment", args=[DisputeAttachment.objects.get().pk])
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_refused_file_shows_the_reason_and_opens_nothing(issued, owner_client, in_window):
    line = storage_line(issued)
    response = owner_client.post(
        reverse("disputes:dispute-open", args=[issued.pk, line.position]),
        {
            "reason": "not_ours",
            "text": "x",
            "files": [SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png")],
        },
    )
    assert response.status_code == 200
    assert "Only PDF, JPEG or PNG" in response.content.decode()
    assert Dispute.objects.count() == 0


def test_after_the_window_the_line_offers_no_dispute(issued, owner_client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: ISSUED_AT + timedelta(days=40))
    line = storage_line(issued)
    page = owner_client.get(reverse("billing:invoice-detail", args=[issued.pk])).content.decode()
    assert f'id="dispute-line-{line.position}"' not in page
    response = owner_client.get(
        reverse("disputes:dispute-open", args=[issued.pk, line.position]), follow=True
    )
    assert "dispute window of invoice" in response.content.decode()


def test_the_dashboard_counts_open_disputes(issued, owner, owner_client, in_window):
    from billing.disputes import open_dispute

    open_dispute(line=storage_line(issued), by=owner.user, reason="not_ours", text="x")
    page = owner_client.get(reverse("portal:dashboard")).content.decode()
    block = page.split('id="open-disputes"')[1]
    assert '<div class="stat-value">1</div>' in block.split("</div></div></div>")[0]


def test_another_sellers_dispute_and_evidence_are_not_found(owner_client, other_owner):
    from tests.factories import dispute_attachment, dispute_of

    foreign = dispute_of(other_owner.seller)
    attachment = dispute_attachment(foreign)
    for url in (
        reverse("disputes:dispute-detail", args=[foreign.pk]),
        reverse("disputes:dispute-attachment", args=[attachment.pk]),
    ):
        assert owner_client.get(url).status_code == 404
    for name in ("disputes:dispute-reply", "disputes:dispute-withdraw"):
        assert owner_client.post(reverse(name, args=[foreign.pk]), {"body": "mine now"}).status_code == 404
    foreign.refresh_from_db()
    assert (foreign.state, foreign.messages.count()) == ("open", 1)
    assert f"D-{foreign.pk}" not in owner_client.get(reverse("disputes:dispute-list")).content.decode()
