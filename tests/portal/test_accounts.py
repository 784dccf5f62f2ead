"""Accounts: registration and approval, login throttling, invitations, roles, language (issue 3)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal.models import Invitation, Seller, SellerUser
from tests.factories import PASSWORD, InvitationFactory, SellerUserFactory

User = get_user_model()

REGISTRATION = {
    "company_name": "深圳新品科技",
    "legal_name": "深圳新品科技有限公司",
    "tax_id": "91440300MA5G999999",
    "country": "CN",
    "default_currency": "CNY",
    "language": "zh-hans",
    "first_name": "明",
    "last_name": "陈",
    "email": "chen@xinpin.example.com",
    "password1": "Warehouse-Lantern-83",
    "password2": "Warehouse-Lantern-83",
}


@pytest.mark.django_db
def test_registration_creates_a_pending_seller_whose_owner_cannot_log_in_yet(client):
    response = client.post(reverse("register"), REGISTRATION)
    assert response.status_code == 200
    seller = Seller.objects.get(legal_name="深圳新品科技有限公司")
    assert seller.status == Seller.Status.PENDING
    owner = SellerUser.objects.get(seller=seller)
    assert owner.role == SellerUser.Role.OWNER and owner.user.is_active is False
    response = client.post(
        reverse("login"), {"username": REGISTRATION["email"], "password": REGISTRATION["password1"]}
    )
    assert "The email address or password is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_ops_approval_activates_the_owner_and_emails_them(client, admin_user, sent_mail):
    client.post(reverse("register"), REGISTRATION)
    seller = Seller.objects.get(legal_name="深圳新品科技有限公司")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:portal_seller_changelist"), {"action": "approve", "_selected_action": [seller.pk]}
    )
    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.status == Seller.Status.ACTIVE and seller.approved_by == admin_user
    assert User.objects.get(email=REGISTRATION["email"]).is_active
    assert [m.to for m in sent_mail()] == [[REGISTRATION["email"]]]


@pytest.mark.django_db(transaction=True)
def test_registration_with_an_existing_email_answers_as_for_a_new_one_and_creates_nothing(client, owner):
    """No account enumeration: same page and status; the address's owner is told by email instead."""
    owner.user.language = "ja"  # the notice speaks the existing login's language, not the form's
    owner.user.save(update_fields=["language"])
    before = (Seller.objects.count(), User.objects.count(), SellerUser.objects.count())
    known = client.post(reverse("register"), {**REGISTRATION, "email": owner.user.email.upper()})
    assert (Seller.objects.count(), User.objects.count(), SellerUser.objects.count()) == before
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    with translation.override("ja"):
        notice = gettext(
            "Someone tried to register a new company on the Seller Portal with %(email)s. "
            "This address already has a login, so nothing was created."
        ) % {"email": owner.user.email}
    assert notice in mail.outbox[0].body and "/accounts/password_reset/" in mail.outbox[0].body
    unknown = client.post(reverse("register"), REGISTRATION)
    assert Seller.objects.count() == before[0] + 1
    assert len(mail.outbox) == 1  # a new registration sends nothing until ops approve it
    assert known.status_code == unknown.status_code == 200
    for response in (known, unknown):
        assert "registration/register_done.html" in [t.name for t in response.templates]
    known_text = known.content.decode().replace(owner.user.email.upper(), "EMAIL")
    unknown_text = unknown.content.decode().replace(REGISTRATION["email"], "EMAIL")
    assert "already exists" not in known_text
    strip_csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip_csrf.sub("", known_text) == strip_csrf.sub("", unknown_text)


@pytest.mark.django_db
def test_registration_with_mismatched_passwords_names_the_field(client):
    response = client.post(reverse("register"), {**REGISTRATION, "password2": "something-else-77"})
    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    assert not Seller.objects.exists()


@pytest.mark.django_db
def test_wrong_password_and_unknown_user_get_the_same_generic_message(client, owner):
    wrong_password = client.post(reverse("login"), {"username": owner.user.email, "password": "nope-nope"})
    unknown_user = client.post(reverse("login"), {"username": "nobody@example.com", "password": "nope-nope"})
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert "The email address or password is not correct." in response.content.decode()
    assert wrong_password.content.decode().count("alert-danger") == unknown_user.content.decode().count(
        "alert-danger"
    )


@pytest.mark.django_db
def test_repeated_failed_logins_are_throttled_even_with_the_right_password(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": owner.user.email, "password": "wrong-password"})
    locked = client.post(reverse("login"), {"username": owner.user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_right_password_logs_in_and_shows_the_dashboard(client, owner):
    response = client.post(
        reverse("login"), {"username": owner.user.email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"] == owner.user
    assert owner.seller.legal_name in response.content.decode()


@pytest.mark.django_db
def test_owner_invites_a_colleague_who_joins_with_the_emailed_link(owner_client, owner, client, sent_mail):
    response = owner_client.post(
        reverse("portal:account"),
        {"action": "invite", "email": "Li@Colleague.example.com", "role": "finance"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(seller=owner.seller)
    assert invitation.email == "li@colleague.example.com"
    assert len(sent_mail()) == 1
    accept = re.search(r"https?://testserver(/invite/[^/\s]+/)", sent_mail()[0].body).group(1)
    token = accept.split("/")[2]
    assert token not in Invitation.objects.values_list("token_hash", flat=True).get()  # only its hash is kept
    # The inviter sees the link once, on the page after inviting.
    assert accept in owner_client.get(reverse("portal:account")).content.decode()
    assert accept not in owner_client.get(reverse("portal:account")).content.decode()

    client.logout()
    response = client.post(
        accept,
        {
            "first_name": "Li",
            "last_name": "Na",
            "password1": "Harbour-Crane-55",
            "password2": "Harbour-Crane-55",
        },
    )
    assert response.status_code == 302
    member = SellerUser.objects.get(user__email="li@colleague.example.com")
    assert (member.seller, member.role) == (owner.seller, SellerUser.Role.FINANCE)
    # The link works once.
    again = client.post(accept, {"password1": "Harbour-Crane-55", "password2": "Harbour-Crane-55"})
    assert "expired or was already used" in again.content.decode()
    assert SellerUser.objects.filter(user__email="li@colleague.example.com").count() == 1


@pytest.mark.django_db
def test_staff_cannot_invite_or_change_roles(client, owner):
    staff = SellerUserFactory(seller=owner.seller, role="staff")
    client.force_login(staff.user)
    response = client.post(
        reverse("portal:account"), {"action": "invite", "email": "x@example.com", "role": "staff"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert client.get(reverse("portal:member-edit", args=[owner.pk])).status_code == 403


@pytest.mark.django_db
def test_the_last_owner_cannot_demote_themselves(owner_client, owner):
    response = owner_client.post(
        reverse("portal:member-edit", args=[owner.pk]), {"role": "staff", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "A seller must keep at least one active owner." in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == SellerUser.Role.OWNER


@pytest.mark.django_db
def test_inviting_an_existing_user_is_refused(owner_client, owner, other_owner):
    response = owner_client.post(
        reverse("portal:account"), {"action": "invite", "email": other_owner.user.email, "role": "staff"}
    )
    assert response.status_code == 400
    assert "An account with this email address already exists." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_revoked_invitation_cannot_be_accepted(owner_client, owner, client):
    invitation = InvitationFactory(seller=owner.seller)
    owner_client.post(reverse("portal:invitation-revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    response = client.get(reverse("invitation-accept", args=[invitation.token]))
    assert "expired or was already used" in response.content.decode()


@pytest.mark.django_db
def test_language_choice_is_saved_on_the_user_and_used_on_the_next_visit(owner_client, owner):
    owner_client.post(reverse("set-language"), {"language": "ja", "next": reverse("portal:dashboard")})
    owner.user.refresh_from_db()
    assert owner.user.language == "ja"
    owner_client.cookies.clear()
    owner_client.force_login(owner.user)
    response = owner_client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ja"


@pytest.mark.django_db
def test_password_reset_sends_a_link_only_to_existing_users(client, owner):
    client.post(reverse("password_reset"), {"email": owner.user.email})
    client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_ops_and_finance_groups_hold_their_permissions(db):
    from django.contrib.auth.models import Group

    ops = set(Group.objects.get(name="ops").permissions.values_list("codename", flat=True))
    finance = set(Group.objects.get(name="finance").permissions.values_list("codename", flat=True))
    assert {"change_seller", "add_selleruser", "view_invitation"} <= ops
    assert "view_seller" in finance and "change_seller" not in finance
    assert "add_user" not in ops and "delete_user" not in ops


@pytest.mark.django_db
def test_members_table_filters_by_role_and_search(owner_client, owner):
    SellerUserFactory(seller=owner.seller, role="finance", user__email="cashier@example.com")
    SellerUserFactory(seller=owner.seller, role="staff", user__email="packer@example.com")
    by_role = owner_client.get(reverse("portal:account"), {"role": "finance"}).context["members"]
    assert [row.record.user.email for row in by_role.rows] == ["cashier@example.com"]
    by_search = owner_client.get(reverse("portal:account"), {"q": "pack"}).context["members"]
    assert [row.record.user.email for row in by_search.rows] == ["packer@example.com"]


@pytest.mark.django_db
def test_dashboard_counts_open_orders_blocked_skus_and_expiring_certificates(
    owner_client, owner, other_owner
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import CertificateFactory, InboundOrderFactory, SkuFactory

    today = timezone.localdate()
    InboundOrderFactory(seller=owner.seller, state="in_transit")
    InboundOrderFactory(seller=owner.seller, state="completed")
    InboundOrderFactory(seller=other_owner.seller, state="in_transit")
    kettle = SkuFactory(seller=owner.seller, is_electrical=True)
    CertificateFactory(sku=kettle, kind="CE", expires_on=today + timedelta(days=10))
    context = owner_client.get(reverse("portal:dashboard")).context
    assert [(state, n) for _, state, n in context["open_orders"]] == [("in_transit", 1)]
    # 3 SKUs (2 from the orders' factories + the kettle): the kettle lacks PSE for JP; GB and US need no more.
    assert context["sku_count"] == 3
    assert context["blocked_by_destination"] == {"JP": 1, "EU": 2, "GB": 2, "US": 0}
    assert [c.sku for c in context["expiring_certificates"]] == [kettle]
