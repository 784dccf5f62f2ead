"""Email goes through a persistent queue that a worker sends, with retries (issue 10, finding 9)."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email, Log
from post_office.tasks import send_queued_mail

from portal import services
from portal.emails import send_templated_email
from portal.models import Invitation, Seller, User, hash_invitation_token
from tests.conftest import free_port, wait_for
from tests.factories import PASSWORD, UserFactory
from tests.portal.test_accounts import REGISTRATION

RESET_LINK = re.compile(r"/accounts/reset/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")


def run_send_task() -> None:
    """post_office's Celery task ``send_queued_mail``, run here (what the worker and beat run)."""
    send_queued_mail.apply().get()


def staff_user(group: str) -> User:
    user = UserFactory(email=f"{group}@operator.example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@dataclass(frozen=True)
class Invited:
    email: str
    token: str  # the one-time token of the emailed link (only its hash is stored)


def invite(owner, email="li@colleague.example.com") -> Invited:
    issued = services.invite_colleague(
        seller=owner.seller,
        invited_by=owner.user,
        email=email,
        role="staff",
        accept_url_for=lambda token: f"https://portal.example.com/invitations/{token}/",
    )
    return Invited(email=issued.invitation.email, token=issued.accept_url.rstrip("/").rsplit("/", 1)[-1])


def email_admin_urls() -> list[str]:
    """The admin index and every changelist, change, history and delete page of post_office's models."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        if model._meta.app_label != "post_office":
            continue
        name = f"admin:post_office_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        for pk in model.objects.values_list("pk", flat=True):
            urls += [reverse(f"{name}_{page}", args=[pk]) for page in ("change", "history", "delete")]
    return urls


@pytest.mark.django_db
def test_ops_who_asks_a_superusers_password_reset_cannot_read_the_link_anywhere_in_admin(
    client, owner, sent_mail
):
    superuser = User.objects.create_superuser(email="root@operator.example.com", password=PASSWORD)
    ops, finance = staff_user("ops"), staff_user("finance")
    client.force_login(ops)
    assert client.post(reverse("password_reset"), {"email": superuser.email}).status_code == 302
    [reset] = sent_mail()
    assert reset.to == [superuser.email]
    link = RESET_LINK.search(reset.body)
    invitation = invite(owner)  # a second link, left queued: this test's transaction never commits
    secrets = [
        link.group(0),
        f"{link.group('uid')}/{link.group('token')}",
        link.group("token"),
        invitation.token,
    ]
    # The links are in the queue's rows, one sent and one queued ...
    assert sorted(Email.objects.values_list("status", flat=True)) == [STATUS.sent, STATUS.queued]
    assert all(Email.objects.filter(message__contains=secret).exists() for secret in secrets)

    # ... and ops see both messages in admin, but no page shows a link.
    urls = email_admin_urls()
    assert len(urls) == 1 + 1 + 2 * 3  # index, the Email changelist, 3 pages per message (no other model)
    for user in (ops, finance):
        client.force_login(user)
        for url in urls:
            page = client.get(url).content.decode()
            leaked = [secret for secret in secrets if secret in page]
            assert not leaked, f"{user.email} reads {leaked} at {url}"
    client.force_login(ops)
    listing = client.get(reverse("admin:post_office_email_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert superuser.email in text and "Reset your Seller Portal password" in text
    assert invitation.email in text and f"You are invited to {owner.seller.name}" in text
    reset_row = Email.objects.get(to=[superuser.email])
    change = client.get(reverse("admin:post_office_email_change", args=[reset_row.pk]))
    assert change.status_code == 200 and superuser.email in change.content.decode()
    # Finance has no business with the queue.
    client.force_login(finance)
    assert client.get(reverse("admin:post_office_email_changelist")).status_code == 403


@pytest.mark.django_db
def test_the_queue_cannot_be_searched_or_filtered_by_body(client, owner):
    invitation = invite(owner)
    client.force_login(staff_user("ops"))
    changelist = reverse("admin:post_office_email_changelist")
    by_recipient = client.get(changelist, {"q": invitation.email})
    assert list(by_recipient.context["cl"].result_list) == list(Email.objects.all())
    by_token = client.get(changelist, {"q": invitation.token})
    assert list(by_token.context["cl"].result_list) == []
    # A lookup on the body would answer yes/no letter by letter: refused.
    for lookup in ("message__contains", "html_message__contains", "context__icontains", "headers__contains"):
        assert client.get(changelist, {lookup: invitation.token[:3]}).status_code == 400
    assert client.get(changelist, {"status__exact": STATUS.queued}).status_code == 200


@pytest.mark.django_db
def test_staff_cannot_add_change_delete_or_requeue_queued_mail(client, owner):
    invite(owner)
    email = Email.objects.get()
    Email.objects.update(status=STATUS.failed)
    client.force_login(staff_user("ops"))
    assert client.get(reverse("admin:post_office_email_add")).status_code == 403
    change = reverse("admin:post_office_email_change", args=[email.pk])
    assert client.post(change, {"subject": "x", "status": STATUS.sent}).status_code == 403
    assert (
        client.post(reverse("admin:post_office_email_delete", args=[email.pk]), {"post": "yes"}).status_code
        == 403
    )
    changelist = reverse("admin:post_office_email_changelist")
    assert 'value="requeue"' not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "requeue", "_selected_action": [email.pk]})
    client.post(changelist, {"action": "delete_selected", "_selected_action": [email.pk], "post": "yes"})
    email.refresh_from_db()
    assert email.status == STATUS.failed and email.subject.startswith("You are invited")


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_queues_and_sends_nothing(owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        invite(owner)
        send_templated_email(
            to=["someone@example.com"],
            template="seller_approved",
            context={"seller": owner.seller, "user": owner.user},
        )
        raise RuntimeError("the change fails after its emails were queued")
    assert not Invitation.objects.exists()
    assert not Email.objects.exists()
    assert mail.outbox == []
    invite(owner)  # the same change committed: one message, sent once
    assert [m.to for m in mail.outbox] == [["li@colleague.example.com"]]
    assert list(Email.objects.values_list("status", flat=True)) == [STATUS.sent]


@pytest.mark.django_db(transaction=True)
def test_with_smtp_down_the_change_succeeds_and_the_message_is_sent_once_when_it_is_back(
    owner_client, owner, smtp_server
):
    smtp_server.stop()
    # Registration, invitation and approval answer as usual and keep their data.
    response = Client().post(reverse("register"), REGISTRATION)
    assert response.status_code == 200 and "Thank you for registering" in response.content.decode()
    response = owner_client.post(
        reverse("portal:account"), {"action": "invite", "email": "li@colleague.example.com", "role": "staff"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="li@colleague.example.com")
    ops = Client()
    ops.force_login(User.objects.create_superuser(email="root@operator.example.com", password=PASSWORD))
    pending = Seller.objects.get(legal_name=REGISTRATION["legal_name"])
    response = ops.post(
        reverse("admin:portal_seller_changelist"), {"action": "approve", "_selected_action": [pending.pk]}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Seller.Status.ACTIVE

    # The attempt made after each commit failed, was recorded, and waits for its retry.
    assert Email.objects.count() == 2
    for email in Email.objects.all():
        assert (email.status, email.number_of_retries) == (STATUS.requeued, 1)
        assert email.scheduled_time > timezone.now()
        [attempt] = email.logs.all()
        assert attempt.status == STATUS.failed and attempt.exception_type == "ConnectionRefusedError"
    assert smtp_server.envelopes == []

    smtp_server.start()
    run_send_task()  # the retry is not due yet
    assert smtp_server.envelopes == []
    Email.objects.update(scheduled_time=timezone.now() - timedelta(seconds=1))  # the retry interval passed
    run_send_task()
    run_send_task()  # beat's next run, or the same task delivered twice
    received = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [m["To"] for m in received] == [REGISTRATION["email"], "li@colleague.example.com"]
    [token] = re.findall(r"/invite/([^/\s]+)/", received[1].get_content())
    assert hash_invitation_token(token) == invitation.token_hash
    assert received[1]["Message-ID"] == Email.objects.get(to=[invitation.email]).message_id
    assert set(Email.objects.values_list("status", flat=True)) == {STATUS.sent}
    assert Log.objects.filter(status=STATUS.sent).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_message_that_keeps_failing_is_shown_failed_and_a_superuser_can_requeue_it(
    client, owner, smtp_server, settings
):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 1}
    smtp_server.stop()
    invite(owner)
    Email.objects.update(scheduled_time=timezone.now() - timedelta(seconds=1))
    run_send_task()  # the last retry fails too
    email = Email.objects.get()
    assert (email.status, email.number_of_retries, email.logs.count()) == (STATUS.failed, 1, 2)

    client.force_login(staff_user("ops"))
    listing = client.get(reverse("admin:post_office_email_changelist")).content.decode()
    assert "li@colleague.example.com" in listing and "Connection refused" in listing
    assert ">failed<" in listing

    client.force_login(User.objects.create_superuser(email="root@operator.example.com", password=PASSWORD))
    smtp_server.start()
    response = client.post(
        reverse("admin:post_office_email_changelist"), {"action": "requeue", "_selected_action": [email.pk]}
    )
    assert response.status_code == 302
    # The requeue commits and the message is sent (in production: by the worker the commit triggers).
    assert [m["To"] for m in smtp_server.messages] == ["li@colleague.example.com"]
    email.refresh_from_db()
    assert email.status == STATUS.sent
    # A sent message is never requeued: it would go out twice.
    client.post(
        reverse("admin:post_office_email_changelist"), {"action": "requeue", "_selected_action": [email.pk]}
    )
    run_send_task()
    assert len(smtp_server.envelopes) == 1


@pytest.mark.django_db
def test_messages_are_rendered_in_the_sellers_language_and_stored_verbatim(owner, sent_mail):
    seller = owner.seller
    seller.name = "{% now 'Y' %} {{ 7|add:1 }} 优品"
    seller.language = "zh-hans"
    seller.save()
    invitation = invite(owner)
    [message] = sent_mail()
    assert message.subject == Email.objects.get().subject
    assert "{% now 'Y' %} {{ 7|add:1 }} 优品" in message.subject  # not run as a template
    assert "{% now 'Y' %} {{ 7|add:1 }} 优品" in message.body
    assert "邀请" in message.body and invitation.token in message.body


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_does_not_fail_the_change(production_email_trigger, owner_client):
    """The commit asks the broker for a send; with the broker down the message waits for beat's next run."""
    from portal.celery import app

    previous = app.conf.broker_url, app._pool, app.amqp._producer_pool
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app._pool = app.amqp._producer_pool = None
    try:
        response = owner_client.post(
            reverse("portal:account"),
            {"action": "invite", "email": "li@colleague.example.com", "role": "staff"},
        )
    finally:
        app.conf.broker_url, app._pool, app.amqp._producer_pool = previous
    assert response.status_code == 302
    assert Invitation.objects.filter(email="li@colleague.example.com").exists()
    assert list(Email.objects.values_list("status", flat=True)) == [STATUS.queued]


@pytest.mark.worker
def test_a_worker_process_delivers_queued_mail_to_smtp_after_commit(email_worker, owner):
    invitation = invite(owner)  # commits: the trigger goes through Redis to the worker process
    wait_for(lambda: email_worker.envelopes, timeout=60)
    wait_for(lambda: Email.objects.get().status == STATUS.sent, timeout=30)
    # post_office writes the delivery log just after the status: wait for it too (a loaded machine saw none)
    wait_for(lambda: Log.objects.exists(), timeout=30)
    [message] = email_worker.messages
    assert message["To"] == invitation.email and invitation.token in message.get_content()
    assert list(Log.objects.values_list("status", flat=True)) == [STATUS.sent]


@pytest.mark.django_db
def test_djangos_own_mail_is_queued_with_its_html_and_attachments(sent_mail, settings, tmp_path):
    from django.core.mail import EmailMultiAlternatives

    settings.MEDIA_ROOT = tmp_path
    message = EmailMultiAlternatives("Statement {{ x }}", "See attached.", to=["finance@example.com"])
    message.attach_alternative("<p>See attached.</p>", "text/html")
    message.attach("statement.pdf", b"%PDF-1.4 statement", "application/pdf")
    with transaction.atomic():
        assert message.send() == 1  # queued, not sent
    email = Email.objects.get()
    assert (email.status, email.subject, email.html_message) == (
        STATUS.queued,
        "Statement {{ x }}",
        message.alternatives[0][0],
    )
    [sent] = sent_mail()
    assert (sent.subject, sent.body, sent.to) == (
        "Statement {{ x }}",
        "See attached.",
        ["finance@example.com"],
    )
    assert sent.alternatives[0][0] == "<p>See attached.</p>"
    [attachment] = sent.attachments
    assert (attachment[0], attachment[1], attachment[2]) == (
        "statement.pdf",
        b"%PDF-1.4 statement",
        "application/pdf",
    )


@pytest.mark.django_db(transaction=True)  # the scheduler closes the database connection
def test_beat_retries_queued_mail_every_minute_and_cleans_up_old_mail_daily():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from portal.celery import app

    DatabaseScheduler(app=app)  # what `celery beat` (or `worker -B`) does when it starts
    periodic = {task.name: task for task in PeriodicTask.objects.select_related("interval")}
    send, cleanup = periodic["send-queued-mail"], periodic["cleanup-mail"]
    assert (send.task, send.interval.every, send.interval.period) == (
        "post_office.tasks.send_queued_mail",
        60,
        "seconds",
    )
    assert (cleanup.task, cleanup.interval.every, cleanup.kwargs) == (
        "post_office.tasks.cleanup_mail",
        86400,
        '{"days": 30}',
    )
    assert {"post_office.tasks.send_queued_mail", "post_office.tasks.cleanup_mail"} <= set(app.tasks)
