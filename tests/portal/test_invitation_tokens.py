"""Invitation tokens are stored only as a hash, shown once to the inviter and never in admin; ops resend them
with a new link (security review, finding 5). Over-long email addresses are form errors (finding 8)."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, Seller, User
from tests.factories import InvitationFactory, UserFactory

LINK = re.compile(r"https?://testserver(/invite/([^/\s]+)/)")


def staff_client(client, role):
    user = UserFactory(is_staff=True, email=f"{role}-staff@example.com")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def emailed_link(message) -> tuple[str, str]:
    path, token = LINK.search(message.body).groups()
    return path, token


@pytest.mark.django_db
def test_only_the_tokens_hash_is_stored_and_the_link_is_shown_once_to_the_inviter(
    owner_client, owner, sent_mail
):
    response = owner_client.post(
        reverse("portal:account"), {"action": "invite", "email": "new@colleague.example.com", "role": "staff"}
    )
    assert response.status_code == 302
    path, token = emailed_link(sent_mail()[0])
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert not any(token in str(value) for value in row.values())
    page = owner_client.get(reverse("portal:account")).content.decode()
    assert f"http://testserver{path}" in page
    assert token not in owner_client.get(reverse("portal:account")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["ops", "finance", None])
def test_admin_shows_neither_the_token_nor_its_hash(client, admin_user, role):
    invitation = InvitationFactory()
    if role:
        staff_client(client, role)
    else:
        client.force_login(admin_user)
    for url in (
        reverse("admin:portal_invitation_changelist"),
        reverse("admin:portal_invitation_change", args=[invitation.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert invitation.email in html
        assert invitation.token not in html and invitation.token_hash not in html


@pytest.mark.django_db
def test_an_unknown_or_hash_token_link_answers_404(client):
    invitation = InvitationFactory()
    assert client.get(reverse("invitation-accept", args=[invitation.token])).status_code == 200
    assert client.get(reverse("invitation-accept", args=[invitation.token_hash])).status_code == 404
    assert client.get(reverse("invitation-accept", args=["no-such-token"])).status_code == 404


@pytest.mark.django_db
def test_ops_resend_issues_a_new_link_and_the_old_one_stops_working(client, sent_mail):
    old_expiry = timezone.now() - timedelta(days=1)  # an expired, still pending invitation
    invitation = InvitationFactory(email="late@colleague.example.com", expires_at=old_expiry)
    accepted = InvitationFactory(status=Invitation.Status.ACCEPTED)
    old_link = reverse("invitation-accept", args=[invitation.token])
    staff_client(client, "ops")
    response = client.post(
        reverse("admin:portal_invitation_changelist"),
        {"action": "resend", "_selected_action": [invitation.pk, accepted.pk]},
        follow=True,
    )
    assert "1 invitation sent again with a new link." in response.content.decode()
    assert [m.to for m in sent_mail()] == [["late@colleague.example.com"]]
    new_link, new_token = emailed_link(sent_mail()[0])
    assert new_token not in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(new_token.encode()).hexdigest()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert client.get(old_link).status_code == 404
    client.logout()
    joined = client.post(
        new_link, {"password1": "Harbour-Crane-55", "password2": "Harbour-Crane-55"}, follow=False
    )
    assert joined.status_code == 302
    assert User.objects.get(email="late@colleague.example.com").membership.seller == invitation.seller


@pytest.mark.django_db
def test_finance_cannot_resend_invitations(client):
    invitation = InvitationFactory()
    before = invitation.token_hash
    staff_client(client, "finance")
    client.post(
        reverse("admin:portal_invitation_changelist"),
        {"action": "resend", "_selected_action": [invitation.pk]},
    )
    invitation.refresh_from_db()
    assert invitation.token_hash == before
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_migration_hashes_existing_plaintext_tokens_so_old_links_keep_working(client):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before_hashing = [("portal", "0001_initial")]
    executor.migrate(before_hashing)
    old_apps = executor.loader.project_state(before_hashing).apps
    OldSeller = old_apps.get_model("portal", "Seller")
    OldInvitation = old_apps.get_model("portal", "Invitation")
    seller = OldSeller.objects.create(
        code="old-co",
        name="Old Co",
        legal_name="Old Co Ltd",
        billing_email="b@old.example.com",
        status="active",
    )
    for n in range(2):
        OldInvitation.objects.create(
            seller=seller,
            email=f"early{n}@old.example.com",
            role="staff",
            token=f"plain-token-from-before-{n}",
            expires_at=timezone.now() + timedelta(days=3),
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    for n in range(2):
        token = f"plain-token-from-before-{n}"
        invitation = Invitation.objects.get(email=f"early{n}@old.example.com")
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        page = client.get(reverse("invitation-accept", args=[token]))
        assert page.status_code == 200 and page.context["usable"] is True


# --- finding 8: over-long email addresses ------------------------------------------------------------


def long_email(length: int) -> str:
    local = "x" * 64
    labels, left = [], length - len(local) - 1 - len(".com")
    while left > 0:
        size = min(63, left)
        if left - size == 1:  # never leave a label of 0 characters behind a dot
            size -= 1
        labels.append("d" * size)
        left -= size + 1 if left - size > 0 else size
    address = f"{local}@{'.'.join(labels)}.com"
    assert len(address) == length, len(address)
    return address


EMAIL_262 = long_email(262)


@pytest.mark.django_db
def test_an_invitation_to_a_262_character_address_is_a_form_error(owner_client, owner):
    response = owner_client.post(
        reverse("portal:account"), {"action": "invite", "email": EMAIL_262, "role": "staff"}
    )
    assert response.status_code == 400
    assert response.context["invitation_form"].errors["email"] == [
        "Ensure this value has at most 254 characters (it has 262)."
    ]
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_registration_with_a_262_character_address_is_a_form_error(client):
    from tests.portal.test_accounts import REGISTRATION

    response = client.post(reverse("register"), {**REGISTRATION, "email": EMAIL_262})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Ensure this value has at most 254 characters (it has 262)."
    ]
    assert not Seller.objects.exists() and not User.objects.filter(email=EMAIL_262).exists()


@pytest.mark.django_db
def test_a_262_character_billing_email_password_reset_or_login_address_is_a_form_error(
    owner_client, owner, client
):
    response = owner_client.post(
        reverse("portal:account"),
        {"action": "contact-add", "email": EMAIL_262, "name": "X", "language": "en"},
    )
    assert response.status_code == 400
    assert "email" in response.context["contact_form"].errors
    client = Client()
    reset = client.post(reverse("password_reset"), {"email": EMAIL_262})
    assert reset.status_code == 200 and "email" in reset.context["form"].errors
    login = client.post(reverse("login"), {"username": EMAIL_262, "password": "whatever-123"})
    assert login.status_code == 200 and "_auth_user_id" not in client.session
    assert login.context["form"].errors["username"] == [
        "Ensure this value has at most 254 characters (it has 262)."
    ]
    assert not owner.seller.billing_contacts.filter(email=EMAIL_262).exists()
