"""Email through a persistent queue (django-post-office; issue 10, finding 9).

A message is an ``Email`` row written in the caller's transaction: a rolled-back change queues nothing.
After commit a Celery worker sends the queue (post_office's ``send_queued_mail`` task); a failed attempt is
recorded and retried by beat every minute until ``POST_OFFICE["MAX_RETRIES"]``. Nothing is sent inside
a request, so a mail server that is down never fails the change the message reports.
"""

from collections.abc import Iterable
from email.mime.base import MIMEBase
from email.utils import make_msgid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from post_office.backends import EmailBackend as PostOfficeEmailBackend
from post_office.models import PRIORITY, STATUS, Email
from post_office.settings import get_message_id_enabled, get_message_id_fqdn
from post_office.signals import email_queued
from post_office.utils import create_attachments


def send_templated_email(
    *, to: list[str], template: str, context: dict, language: str | None = None
) -> Email:
    """Render ``templates/emails/<template>_subject.txt`` and ``_body.txt`` in ``language`` and queue them.

    The message is stored in the current transaction and sent by a worker once it commits.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_text(f"emails/{template}_subject.txt", context).split())
        body = render_text(f"emails/{template}_body.txt", context)
    return queue_email(to=to, subject=subject, body=body)


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping (a company name ``A & B`` stays as typed)."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def queue_email(**message) -> Email:
    """Store one message in the queue (``store_email``'s arguments) and trigger a send after commit."""
    email = store_email(**message)
    email_queued.send(sender=Email, emails=[email])
    return email


def store_email(
    *,
    to: Iterable[str],
    subject: str,
    body: str,
    html_body: str = "",
    from_email: str | None = None,
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    headers: dict | None = None,
) -> Email:
    """The queue row of one message, stored verbatim.

    post_office's own ``mail.send`` renders subject and body as Django templates a second time, which
    would run template tags a seller typed into a company name; so the row is written here.
    """
    email = Email(
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
        bcc=list(bcc),
        subject=subject,
        message=body,
        html_message=html_body,
        headers=headers or None,
        priority=PRIORITY.medium,
        status=STATUS.queued,
        message_id=make_msgid(domain=get_message_id_fqdn()) if get_message_id_enabled() else None,
    )
    email.save()  # post_office validates the addresses in save()
    return email


class QueuedEmailBackend(PostOfficeEmailBackend):
    """``EMAIL_BACKEND`` for Django's own mail (password reset): queue each message verbatim.

    The real backend that delivers is ``POST_OFFICE["BACKENDS"]["default"]``, used by the worker only.
    """

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        queued = []
        for message in email_messages or []:
            alternatives = getattr(message, "alternatives", [])
            html_body = next((content for content, mimetype in alternatives if mimetype == "text/html"), "")
            headers = dict(message.extra_headers)
            if message.reply_to:
                headers.setdefault("Reply-To", ", ".join(str(v) for v in message.reply_to))
            with transaction.atomic():
                email = store_email(
                    to=message.to,
                    cc=message.cc,
                    bcc=message.bcc,
                    subject=str(message.subject),
                    body=message.body,
                    html_body=html_body,
                    from_email=message.from_email,
                    headers=headers,
                )
                if message.attachments:
                    email.attachments.add(*create_attachments(attachment_files(message)))
            queued.append(email)
        if queued:
            email_queued.send(sender=Email, emails=queued)
        return len(queued)


def attachment_files(message: EmailMessage) -> dict:
    """A Django message's attachments in the shape post_office's ``create_attachments`` takes."""
    files = {}
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            files[attachment.get_filename()] = {
                "file": ContentFile(attachment.get_payload(decode=True)),
                "mimetype": attachment.get_content_type(),
            }
        else:
            name, content, mimetype = attachment
            files[name] = {"file": ContentFile(content), "mimetype": mimetype or ""}
    return files


def send_queued_mail_after_commit(sender, emails, **kwargs) -> None:
    """Ask a worker to send the queue once the transaction that queued ``emails`` commits.

    Replaces post_office's own handler, whose ``on_commit`` is not robust: with the broker down it would
    turn a saved change into a 500. Here the message just waits for beat's next ``send_queued_mail``.
    """
    transaction.on_commit(trigger_send_queued_mail, robust=True)


def trigger_send_queued_mail() -> None:
    from post_office.tasks import send_queued_mail

    send_queued_mail.delay()


def connect_queue_signals() -> None:
    """Called from ``PortalConfig.ready()`` (after post_office's, which INSTALLED_APPS orders first)."""
    from post_office import tasks

    email_queued.disconnect(tasks.queued_mail_handler)
    email_queued.connect(send_queued_mail_after_commit, dispatch_uid="portal.emails.send_after_commit")


def requeue_emails(*, emails) -> int:
    """Put failed (or still retrying) messages back in the queue with fresh retries; sent ones stay sent.

    A superuser's admin action; the worker is asked to send them once this commits.
    """
    with transaction.atomic():
        requeued = list(
            Email.objects.select_for_update()
            .filter(pk__in=[e.pk for e in emails], status__in=[STATUS.failed, STATUS.requeued])
            .values_list("pk", flat=True)
        )
        Email.objects.filter(pk__in=requeued).update(
            status=STATUS.queued, scheduled_time=None, number_of_retries=0, last_updated=timezone.now()
        )
        if requeued:
            email_queued.send(sender=Email, emails=list(Email.objects.filter(pk__in=requeued)))
    return len(requeued)
