"""Stored statement PDFs (issue 13): rendered once per issued document and language by a worker, served to
the invoice's own seller only (in its language unless another is asked for), "being prepared" until then;
drafts rendered on demand for ops; the sending's interface ``statement_pdf``."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from billing.models import StatementFile
from billing.statements import render_statement_file, request_statement, statement_pdf
from billing.tasks import render_statement_task
from tests.billing.documents import staff
from tests.billing.statement_documents import credit_note_of, statement_invoice, statement_world
from tests.conftest import wait_for


@pytest.fixture
def issued(owner):
    """An issued statement of the owner's seller (which reads Japanese)."""
    seller, contract = statement_world(language="ja", seller_code="own-seller")
    owner.seller = seller
    owner.save()
    return statement_invoice(contract, lines=8)


def test_the_pdf_view_queues_the_render_then_serves_the_stored_file(
    owner_client, issued, django_capture_on_commit_callbacks
):
    url = reverse("billing:invoice-pdf", args=[issued.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.get(url)
    assert response.status_code == 200
    assert 'data-status="queued"' in response.content.decode()
    assert '<meta http-equiv="refresh"' in response.content.decode()
    stored = StatementFile.objects.get()
    assert (stored.invoice_id, stored.language, stored.status) == (issued.pk, "ja", "queued")
    assert len(callbacks) == 1  # the render task, queued after commit

    render_statement_file(stored.pk)

    response = owner_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert 'filename="statement-LINKSTAR-2016-000042-ja.pdf"' in response["Content-Disposition"]
    assert StatementFile.objects.count() == 1


def test_the_pdf_view_takes_another_language(owner_client, issued):
    owner_client.get(reverse("billing:invoice-pdf", args=[issued.pk]), {"language": "vi"})
    owner_client.get(
        reverse("billing:invoice-pdf", args=[issued.pk]), {"language": "xx"}
    )  # unknown: the seller's
    assert sorted(StatementFile.objects.values_list("language", flat=True)) == ["ja", "vi"]


def test_another_sellers_invoice_pdf_answers_404(client, issued, other_owner):
    client.force_login(other_owner.user)
    response = client.get(reverse("billing:invoice-pdf", args=[issued.pk]))
    assert response.status_code == 404
    assert not StatementFile.objects.exists()


def test_a_drafts_pdf_is_not_offered_to_the_seller(owner_client, owner):
    seller, contract = statement_world(language="en", seller_code="drafting")
    owner.seller = seller
    owner.save()
    draft = statement_invoice(contract, lines=3, issued=False)
    response = owner_client.get(reverse("billing:invoice-pdf", args=[draft.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "billing:invoice-detail", args=[draft.pk]
    )
    assert not StatementFile.objects.exists()
    detail = owner_client.get(reverse("billing:invoice-detail", args=[draft.pk])).content.decode()
    assert 'id="download-pdf"' not in detail


def test_the_invoice_page_offers_the_pdf_in_every_language(owner_client, issued):
    html = owner_client.get(reverse("billing:invoice-detail", args=[issued.pk])).content.decode()
    url = reverse("billing:invoice-pdf", args=[issued.pk])
    assert f'id="download-pdf" href="{url}"' in html
    for code in ("en", "zh-hans", "ja", "vi"):
        assert f'href="{url}?language={code}"' in html


def test_the_render_task_run_twice_stores_one_file(issued):
    stored = request_statement(issued, "ja")

    first = render_statement_task.run(stored.pk)
    stored.refresh_from_db()
    name = stored.file.name
    folder = name.rsplit("/", 1)[0]
    files_after_first = default_storage.listdir(folder)[1]
    second = render_statement_task.run(stored.pk)

    assert (first, second) == ("ready", "ready")
    assert StatementFile.objects.count() == 1
    stored.refresh_from_db()
    assert stored.file.name == name and stored.pages >= 1 and stored.size == default_storage.size(name)
    assert default_storage.listdir(folder)[1] == files_after_first  # the second run wrote nothing


def test_a_lost_render_is_queued_again_after_a_while(issued, django_capture_on_commit_callbacks):
    stored = request_statement(issued, "ja")
    with django_capture_on_commit_callbacks() as callbacks:
        request_statement(issued, "ja")
    assert callbacks == []
    StatementFile.objects.filter(pk=stored.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as callbacks:
        request_statement(issued, "ja")
    assert len(callbacks) == 1


def test_statement_pdf_stores_an_issued_document_once_and_renders_a_draft_on_demand(issued):
    filename, content = statement_pdf(issued, "ja")
    again = statement_pdf(issued, "ja")
    assert filename == "statement-LINKSTAR-2016-000042-ja.pdf" and content.startswith(b"%PDF")
    assert again == (filename, content)
    assert StatementFile.objects.filter(status="ready").count() == 1

    note = credit_note_of(issued)
    note_name, note_content = statement_pdf(note, "en")
    assert note_name == "credit-note-CN-LINKSTAR-2016-0007-en.pdf" and note_content.startswith(b"%PDF")

    draft = statement_invoice(
        issued.contract, lines=2, issued=False, period=issued.period.replace(month=7), stock=False
    )
    draft_name, draft_content = statement_pdf(draft, "ja")
    assert draft_name == f"statement-draft-{draft.pk}-ja.pdf" and draft_content.startswith(b"%PDF")
    assert StatementFile.objects.count() == 2  # the draft is not stored


def test_ops_download_a_drafts_pdf_from_admin(client, db):
    seller, contract = statement_world(language="vi")
    draft = statement_invoice(contract, lines=4, issued=False)
    client.force_login(staff("ops"))
    response = client.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "download_statement_pdf", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="statement-draft-{draft.pk}-vi.pdf"' in response["Content-Disposition"]
    assert not StatementFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_statement(celery_worker_process, owner):
    seller, contract = statement_world(language="zh-hans", seller_code="worker-seller")
    invoice = statement_invoice(contract, lines=6)

    stored = request_statement(invoice, "zh-hans")  # autocommit: the task is sent at once

    ready = wait_for(lambda: StatementFile.objects.filter(pk=stored.pk, status="ready").first(), timeout=60)
    with ready.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
    assert ready.pages >= 1 and ready.attempts == 1


# --- Issuing queues the render ------------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_issuing_an_invoice_queues_its_statement_in_the_sellers_language_after_commit(
    db, django_capture_on_commit_callbacks, eager_tasks
):
    from billing.services import issue_invoice
    from tests.billing.documents import billing_world, draft_invoice

    seller, line, contract = billing_world()
    seller.language = "vi"
    seller.save()
    invoice = draft_invoice(contract)

    with django_capture_on_commit_callbacks() as callbacks:
        issue_invoice(invoice=invoice)
        stored = StatementFile.objects.get()
        assert (stored.invoice_id, stored.language, stored.status) == (invoice.pk, "vi", "queued")
    assert len(callbacks) == 1
    for callback in callbacks:  # the commit: the task runs (eagerly here, on a worker in production)
        callback()

    stored.refresh_from_db()
    assert stored.status == "ready" and stored.pages == 1
    with stored.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"


def test_an_issue_that_fails_queues_nothing(db, django_capture_on_commit_callbacks):
    from billing.services import BillingError, issue_invoice
    from tests.billing.documents import billing_world, draft_invoice

    seller, line, contract = billing_world()
    invoice = draft_invoice(contract)
    issue_invoice(invoice=invoice)
    StatementFile.objects.all().delete()

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(BillingError):
        issue_invoice(invoice=invoice)  # already issued

    assert callbacks == [] and not StatementFile.objects.exists()


def test_issuing_a_credit_note_queues_its_pdf_in_the_sellers_language(
    issued, django_capture_on_commit_callbacks, eager_tasks
):
    from billing.services import create_credit_note, issue_credit_note

    note = create_credit_note(
        invoice=issued, lines=[{"description": "Goodwill", "amount": "5.00"}], reason="Late delivery"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issue_credit_note(credit_note=note)

    assert len(callbacks) == 1
    stored = StatementFile.objects.get(credit_note=note)
    assert (stored.language, stored.status) == ("ja", "ready")
    with stored.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"


# --- Credit notes' PDFs in the portal -----------------------------------------------------------------------


def test_a_credit_notes_pdf_is_prepared_then_served_and_linked_from_its_invoice(
    owner_client, issued, django_capture_on_commit_callbacks
):
    note = credit_note_of(issued)
    url = reverse("billing:credit-note-pdf", args=[note.pk])

    detail = owner_client.get(reverse("billing:invoice-detail", args=[issued.pk])).content.decode()
    assert f'href="{url}"' in detail and "CN-LINKSTAR-2016-0007" in detail

    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="queued"' in html and "CN-LINKSTAR-2016-0007" in html
    stored = StatementFile.objects.get()
    assert (stored.credit_note_id, stored.invoice_id, stored.language) == (note.pk, None, "ja")
    assert len(callbacks) == 1

    render_statement_file(stored.pk)

    response = owner_client.get(url, {"language": "ja"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert 'filename="credit-note-CN-LINKSTAR-2016-0007-ja.pdf"' in response["Content-Disposition"]
    assert StatementFile.objects.count() == 1


def test_another_sellers_credit_note_pdf_answers_404(client, issued, other_owner):
    note = credit_note_of(issued)
    client.force_login(other_owner.user)
    response = client.get(reverse("billing:credit-note-pdf", args=[note.pk]))
    assert response.status_code == 404
    assert not StatementFile.objects.exists()


def test_a_draft_credit_notes_pdf_is_not_served_nor_listed(owner_client, issued):
    note = credit_note_of(issued, issued=False)
    url = reverse("billing:credit-note-pdf", args=[note.pk])

    response = owner_client.get(url)

    assert response.status_code == 302 and response["Location"] == reverse(
        "billing:invoice-detail", args=[issued.pk]
    )
    assert not StatementFile.objects.exists()
    detail = owner_client.get(reverse("billing:invoice-detail", args=[issued.pk])).content.decode()
    assert url not in detail and 'id="credit-notes"' not in detail
