"""Email through a persistent queue (django-post-office; issue 10, finding 9).

A message is an ``Email`` row written in the caller's transaction: a rolled-back change queues nothing.
After commit a Celery worker sends the queue (post_office's ``send_queued_mail`` task); a failed attempt is
recorded and retried by beat every minute until ``POST_OFFICE["MAX_RETRIES"]``. Nothing is sent inside
a request, so a mail server that is down never fails the change the message reports.
"""

import uuid
from collections.abc import Iterable
from email.mime.base import MIMEBase
from email.utils import make_msgid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from post_office.backends import EmailBackend as PostOfficeEmailBackend
from post_office.models import PRIORITY, STATUS, Attachment, Email
from post_office.settings import get_message_id_enabled, get_message_id_fqdn
from post_office.signals import email_queued
from post_office.utils import create_attachments


def send_templated_email(
    *,
    to: list[str],
    template: str,
    context: dict,
    language: str | None = None,
    attachments: Iterable[Attachment] | dict | None = None,
    message_id: str | None = None,
) -> Email:
    """Render ``templates/emails/<template>_subject.txt`` and ``_body.txt`` (and ``_body.html`` when the
    template has one) in ``language`` and queue them, with ``attachments`` (``Attachment`` rows or
    ``create_attachments``' dict) and, if given, a fixed ``message_id``.

    The message is stored in the current transaction and sent by a worker once it commits.
    """
    subject, body, html_body = render_templated_email(template, context, language)
    return queue_email(
        to=to, subject=subject, body=body, html_body=html_body, attachments=attachments, message_id=message_id
    )


def render_templated_email(template: str, context: dict, language: str | None = None) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body (``""`` when the template has no ``_body.html``) in
    ``language``. The HTML is autoescaped; the plain text is not."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_text(f"emails/{template}_subject.txt", context).split())
        body = render_text(f"emails/{template}_body.txt", context)
        try:
            html_template = get_template(f"emails/{template}_body.html")
        except TemplateDoesNotExist:
            html_body = ""
        else:
            html_body = html_template.render(context)
    return subject, body, html_body


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
    attachments: Iterable[Attachment] | dict | None = None,
    message_id: str | None = None,
) -> Email:
    """The queue row of one message, stored verbatim, with its attachments (``Attachment`` rows, shared
    between messages, or a dict ``create_attachments`` takes). ``message_id`` fixes the Message-ID (else a
    fresh one); it is kept across retries.

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
        message_id=message_id
        or (make_msgid(domain=get_message_id_fqdn()) if get_message_id_enabled() else None),
    )
    email.save()  # post_office validates the addresses in save()
    if attachments:
        if isinstance(attachments, dict):
            attachments = create_attachments(attachments)
        email.attachments.add(*attachments)
    return email


class MailboxBackend(BaseEmailBackend):
    """Development delivery (``make run``): each message is written whole to ``EMAIL_FILE_PATH``
    (``var/mail/``) as one ``.eml`` file, which any mail program opens with its HTML and attachments; the
    worker prints one line per message. The queue in admin shows the same messages with their status."""

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        directory = Path(settings.EMAIL_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages or []:
            path = directory / f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            print(f"mail to {', '.join(message.recipients())}: {message.subject} -> {path}", flush=True)
        return len(email_messages or [])


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
