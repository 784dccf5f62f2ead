"""Account emails, rendered in the recipient's language and sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_email(*, to: list[str], template: str, context: dict, language: str | None = None) -> None:
    """Render ``templates/emails/<template>_subject.txt`` and ``_body.txt`` and send them on commit."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}_body.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, to))
