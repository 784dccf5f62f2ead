"""Billing contacts on the Account page (SPEC §9 Send, §13): owners list, add, edit and remove them (at least
one stays), choose automatic sending at issue; other roles, suspended sellers and other sellers cannot; ops
edit them inline in the Seller admin; each seller's old billing email became its first contact."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import BillingContact, Seller
from tests.factories import (
    BillingContactFactory,
    SellerFactory,
    SellerUserFactory,
    billing_contacts_inline,
)

ACCOUNT = reverse("portal:account")


def contacts(seller) -> list[tuple[str, str, str]]:
    return list(seller.billing_contacts.order_by("pk").values_list("email", "name", "language"))


@pytest.mark.django_db
def test_an_owner_adds_edits_and_removes_billing_contacts_but_never_the_last(owner_client, owner):
    seller = owner.seller
    page = owner_client.get(ACCOUNT).content.decode()
    assert 'id="billing-contacts"' in page and f"billing@{seller.code}.example.com" in page

    response = owner_client.post(
        ACCOUNT,
        {"action": "contact-add", "email": "Keiri@Shop.example.COM", "name": "経理", "language": "ja"},
    )
    assert response.status_code == 302
    assert contacts(seller)[1] == ("Keiri@shop.example.com", "経理", "ja")  # the domain is lower-cased
    # The same address again, in any letter case: a form error, nothing stored.
    response = owner_client.post(
        ACCOUNT, {"action": "contact-add", "email": "keiri@SHOP.example.com", "name": "x", "language": "en"}
    )
    assert response.status_code == 400
    assert response.context["contact_form"].errors == {
        "email": ["This address is already a billing contact."]
    }
    for bad in (
        {"email": "not-an-address", "language": "ja"},
        {"email": "a@b.example.com", "language": "xx"},
    ):
        response = owner_client.post(ACCOUNT, {"action": "contact-add", **bad})
        assert response.status_code == 400 and response.context["contact_form"].errors
    assert len(contacts(seller)) == 2

    first, second = seller.billing_contacts.order_by("pk")
    edit = reverse("portal:contact-edit", args=[second.pk])
    assert owner_client.get(edit).status_code == 200
    response = owner_client.post(edit, {"email": first.email.upper(), "name": "x", "language": "vi"})
    assert response.status_code == 200 and "already a billing contact" in response.content.decode()
    response = owner_client.post(
        edit, {"email": "caiwu@shop.example.com", "name": "财务", "language": "zh-hans"}
    )
    assert response.status_code == 302
    assert contacts(seller)[1] == ("caiwu@shop.example.com", "财务", "zh-hans")

    response = owner_client.post(reverse("portal:contact-remove", args=[first.pk]), follow=True)
    assert "no longer receives the invoices" in response.content.decode()
    assert contacts(seller) == [("caiwu@shop.example.com", "财务", "zh-hans")]
    response = owner_client.post(reverse("portal:contact-remove", args=[second.pk]), follow=True)
    assert "keeps at least one billing contact" in response.content.decode()
    assert contacts(seller) == [("caiwu@shop.example.com", "财务", "zh-hans")]


@pytest.mark.django_db
def test_an_owner_opts_in_and_out_of_emailing_invoices_at_issue(owner_client, owner):
    assert owner_client.post(ACCOUNT, {"action": "auto-send", "auto_send_invoices": "on"}).status_code == 302
    assert Seller.objects.get(pk=owner.seller_id).auto_send_invoices is True
    assert owner_client.post(ACCOUNT, {"action": "auto-send"}).status_code == 302
    assert Seller.objects.get(pk=owner.seller_id).auto_send_invoices is False


@pytest.mark.django_db
def test_a_seller_cannot_see_or_change_another_sellers_contacts(owner_client, owner, other_owner):
    foreign = BillingContactFactory(seller=other_owner.seller, email="theirs@other.example.com")
    assert "theirs@other.example.com" not in owner_client.get(ACCOUNT).content.decode()
    edit = reverse("portal:contact-edit", args=[foreign.pk])
    assert owner_client.get(edit).status_code == 404
    assert owner_client.post(edit, {"email": "mine@x.example.com", "language": "en"}).status_code == 404
    assert owner_client.post(reverse("portal:contact-remove", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.email == "theirs@other.example.com" and foreign.seller == other_owner.seller
    assert BillingContact.objects.filter(seller=other_owner.seller).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "finance"])
def test_other_roles_read_the_contacts_but_cannot_change_them(client, owner, role):
    member = SellerUserFactory(seller=owner.seller, role=role)
    client.force_login(member.user)
    page = client.get(ACCOUNT).content.decode()
    assert f"billing@{owner.seller.code}.example.com" in page and 'id="billing-contact-add"' not in page
    contact = owner.seller.billing_contacts.get()
    before = contacts(owner.seller)
    assert (
        client.post(
            ACCOUNT, {"action": "contact-add", "email": "x@y.example.com", "language": "en"}
        ).status_code
        == 403
    )
    assert client.post(ACCOUNT, {"action": "auto-send", "auto_send_invoices": "on"}).status_code == 403
    assert client.get(reverse("portal:contact-edit", args=[contact.pk])).status_code == 403
    assert client.post(reverse("portal:contact-remove", args=[contact.pk])).status_code == 403
    assert contacts(owner.seller) == before
    assert Seller.objects.get(pk=owner.seller_id).auto_send_invoices is False


@pytest.mark.django_db
def test_a_suspended_seller_cannot_change_its_contacts(owner_client, owner):
    BillingContactFactory(seller=owner.seller)
    Seller.objects.filter(pk=owner.seller_id).update(status=Seller.Status.SUSPENDED)
    before = contacts(owner.seller)
    page = owner_client.get(ACCOUNT).content.decode()
    assert 'id="billing-contact-add"' not in page and "contact-remove" not in page
    response = owner_client.post(
        ACCOUNT, {"action": "contact-add", "email": "x@y.example.com", "language": "en"}
    )
    assert response.status_code == 403
    first = owner.seller.billing_contacts.first()
    assert owner_client.post(reverse("portal:contact-remove", args=[first.pk])).status_code == 403
    assert contacts(owner.seller) == before


@pytest.mark.django_db
def test_registration_makes_the_owner_the_first_billing_contact(client):
    from tests.portal.test_accounts import REGISTRATION

    assert client.post(reverse("register"), REGISTRATION).status_code == 200
    seller = Seller.objects.get(legal_name=REGISTRATION["legal_name"])
    [(email, _name, language)] = contacts(seller)
    assert (email, language) == (REGISTRATION["email"].lower(), REGISTRATION["language"])


# --- ops in admin -------------------------------------------------------------------------------------------


def seller_form(seller, **inline) -> dict:
    return {
        "code": seller.code,
        "name": seller.name,
        "legal_name": seller.legal_name,
        "tax_id": "",
        "country": seller.country,
        "language": seller.language,
        "default_currency": seller.default_currency,
        "status": seller.status,
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        **billing_contacts_inline(seller),
        **inline,
    }


@pytest.mark.django_db
def test_ops_edit_contacts_inline_in_the_seller_admin_and_keep_at_least_one(client):
    from tests.billing.documents import staff

    seller = SellerFactory(code="shop")
    client.force_login(staff("ops"))
    url = reverse("admin:portal_seller_change", args=[seller.pk])
    page = client.get(url).content.decode()
    assert "billing@shop.example.com" in page

    added = {
        "billing_contacts-TOTAL_FORMS": "2",
        "billing_contacts-1-seller": str(seller.pk),
        "billing_contacts-1-email": "Billing@shop.example.com",
        "billing_contacts-1-language": "ja",
    }
    response = client.post(url, seller_form(seller, **added))
    assert response.status_code == 200 and "already a billing contact" in response.content.decode()
    added["billing_contacts-1-email"] = "keiri@shop.example.com"
    assert client.post(url, seller_form(seller, **added)).status_code == 302
    assert [c[0] for c in contacts(seller)] == ["billing@shop.example.com", "keiri@shop.example.com"]

    data = seller_form(seller)
    data.update({"billing_contacts-0-DELETE": "on", "billing_contacts-1-DELETE": "on"})
    response = client.post(url, data)
    assert response.status_code == 200 and "Please submit at least 1 form." in response.content.decode()
    assert len(contacts(seller)) == 2


# --- the migration of the single billing email -----------------------------------------------------------


def migration_named(suffix: str) -> tuple[str, str]:
    """The portal migration whose name ends with ``suffix`` (numbers may change when branches merge)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    [name] = [
        n for app, n in MigrationLoader(connection).graph.nodes if app == "portal" and n.endswith(suffix)
    ]
    return ("portal", name)


@pytest.mark.django_db(transaction=True)  # migrations run outside a test transaction
def test_each_sellers_billing_email_becomes_its_first_billing_contact_in_its_language():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [migration_named("_billing_contacts")]  # contacts exist, billing_email not moved yet
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldSeller = old_apps.get_model("portal", "Seller")
    OldSeller.objects.create(
        code="jp-co", name="JP Co", legal_name="JP Co", billing_email="Keiri@JP.example.com", language="ja"
    )
    OldSeller.objects.create(
        code="vn-co", name="VN Co", legal_name="VN Co", billing_email="kt@vn.example.com", language="vi"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert contacts(Seller.objects.get(code="jp-co")) == [("Keiri@JP.example.com", "", "ja")]
    assert contacts(Seller.objects.get(code="vn-co")) == [("kt@vn.example.com", "", "vi")]
    assert not hasattr(Seller(), "billing_email")

    # Backwards, the first contact becomes the billing email again; forwards again adds no second contact.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldSeller = executor.loader.project_state(before).apps.get_model("portal", "Seller")
    assert OldSeller.objects.get(code="jp-co").billing_email == "Keiri@JP.example.com"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert contacts(Seller.objects.get(code="jp-co")) == [("Keiri@JP.example.com", "", "ja")]
