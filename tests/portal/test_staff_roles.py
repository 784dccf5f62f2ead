"""Staff roles: ops and finance hold exactly their allow-lists and cannot escalate (security review #1)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from portal.models import SellerUser, User
from portal.roles import FINANCE, ROLES, permission_keys, sync_staff_groups
from tests.factories import PASSWORD, SellerFactory, SellerUserFactory, UserFactory, billing_contacts_inline

# Apps whose permissions would let a staff member manage accounts, groups, permissions, sessions, the
# lockout records or the scheduled tasks: never granted to ops or finance.
ESCALATION_APPS = {"auth", "contenttypes", "sessions", "admin", "axes", "django_celery_beat"}
STAFF_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions", "password")


def staff_user(role: str, **kwargs) -> User:
    user = UserFactory(is_staff=True, email=f"{role}-staff@example.com", **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def granted(group_name: str) -> set[tuple[str, str]]:
    return set(
        Group.objects.get(name=group_name).permissions.values_list("content_type__app_label", "codename")
    )


def snapshot(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.email,
        user.password,
        user.is_active,
        user.is_staff,
        user.is_superuser,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


def change_post(user: User, **overrides) -> dict:
    """Everything the full (superuser's) change form posts, set to escalate."""
    data = {
        "email": user.email,
        "first_name": "Mallory",
        "last_name": "",
        "language": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [g.pk for g in Group.objects.all()],
        "user_permissions": list(
            Permission.objects.filter(codename="change_group").values_list("pk", flat=True)
        ),
        "password": "pbkdf2_sha256$1$salt$forged",
        "password1": "Take-Over-2026-x",
        "password2": "Take-Over-2026-x",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return data


# --- the allow-lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_allow_listed_model_and_permission_exists(db, role):
    for label in ROLES[role]:
        apps.get_model(label)  # raises LookupError for a typo or a model that went away
    existing = set(Permission.objects.values_list("content_type__app_label", "codename"))
    assert permission_keys(ROLES[role]) - existing == set()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_groups_hold_exactly_their_allow_list(db, role):
    assert granted(role) == permission_keys(ROLES[role])


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_role_holds_an_account_or_permission_management_permission(db, role):
    keys = granted(role)
    assert {app for app, _ in keys} & ESCALATION_APPS == set()
    assert {("portal", "add_user"), ("portal", "delete_user")} & keys == set()


def test_finance_only_reads_outside_billing(db):
    outside_billing = {(app, codename) for app, codename in granted("finance") if app != "billing"}
    assert outside_billing and {codename.split("_")[0] for _, codename in outside_billing} == {"view"}
    assert all(actions == ("view",) for label, actions in FINANCE.items() if not label.startswith("billing."))


def test_sync_takes_away_permissions_granted_by_hand(db):
    ops = Group.objects.get(name="ops")
    ops.permissions.add(Permission.objects.get(content_type__app_label="auth", codename="change_group"))
    ops.permissions.add(Permission.objects.get(content_type__app_label="portal", codename="delete_user"))
    sync_staff_groups()
    assert granted("ops") == permission_keys(ROLES["ops"])


# --- the User admin as ops and finance ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["ops", "finance"])
def test_posting_escalation_fields_to_ones_own_user_changes_nothing(client, db, role):
    me = staff_user(role)
    client.force_login(me)
    before = snapshot(me)
    response = client.post(reverse("admin:portal_user_change", args=[me.pk]), change_post(me))
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or response["Location"] == reverse("admin:index")  # "doesn't exist"
    assert snapshot(me) == before
    assert not me.is_superuser and sorted(me.groups.values_list("name", flat=True)) == [role]


@pytest.mark.parametrize("role", ["ops", "finance"])
def test_posting_to_a_superusers_change_form_changes_nothing(client, admin_user, role):
    client.force_login(staff_user(role))
    before = snapshot(admin_user)
    response = client.post(
        reverse("admin:portal_user_change", args=[admin_user.pk]),
        change_post(admin_user, email="mallory@example.com", is_active=""),
    )
    assert response.status_code in (302, 403)
    assert snapshot(admin_user) == before
    assert client.get(reverse("admin:portal_user_change", args=[admin_user.pk])).status_code in (302, 403)


@pytest.mark.parametrize("role", ["ops", "finance"])
def test_password_change_page_is_refused_for_staff_superusers_and_seller_logins(client, admin_user, role):
    me = staff_user(role)
    seller_login = SellerUserFactory().user
    client.force_login(me)
    for target in (me, admin_user, seller_login):
        before = snapshot(target)
        url = reverse("admin:auth_user_password_change", args=[target.pk])
        assert client.get(url).status_code == 403
        response = client.post(url, {"password1": "Take-Over-2026-x", "password2": "Take-Over-2026-x"})
        assert response.status_code == 403
        assert snapshot(target) == before
        assert target.check_password(PASSWORD if target != admin_user else "password")


@pytest.mark.parametrize("role", ["ops", "finance"])
def test_granting_oneself_a_permission_or_group_is_refused(client, db, role):
    me = staff_user(role)
    client.force_login(me)
    group = Group.objects.get(name=role)
    change_group = Permission.objects.get(content_type__app_label="auth", codename="change_group")
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": role, "permissions": [change_group.pk, *group.permissions.values_list("pk", flat=True)]},
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert client.post(reverse("admin:auth_group_add"), {"name": "root"}).status_code == 403
    assert granted(role) == permission_keys(ROLES[role])
    assert not Group.objects.filter(name="root").exists()
    # Nor through a seller login's change form: its permission fields are not part of it.
    seller_login = SellerUserFactory().user
    client.post(
        reverse("admin:portal_user_change", args=[seller_login.pk]), change_post(seller_login, is_active="on")
    )
    assert not me.has_perm("auth.change_group")
    assert snapshot(seller_login)[3:] == (False, False, [], [])


@pytest.mark.parametrize("role", ["ops", "finance"])
def test_adding_a_user_is_refused(client, db, role):
    client.force_login(staff_user(role))
    before = User.objects.count()
    response = client.post(
        reverse("admin:portal_user_add"),
        {"email": "new-staff@example.com", "password1": "Take-Over-2026-x", "password2": "Take-Over-2026-x"},
    )
    assert response.status_code == 403
    assert User.objects.count() == before


def test_ops_deactivate_a_seller_login_and_nothing_else_changes(client, db):
    client.force_login(staff_user("ops"))
    seller_login = SellerUserFactory(user__email="packer@seller.example.com").user
    response = client.post(
        reverse("admin:portal_user_change", args=[seller_login.pk]),
        change_post(seller_login, email="mallory@example.com", is_active=""),
    )
    assert response.status_code == 302
    seller_login.refresh_from_db()
    assert seller_login.is_active is False
    assert (seller_login.email, seller_login.first_name) == ("packer@seller.example.com", "")
    assert snapshot(seller_login)[3:] == (False, False, [], [])
    assert seller_login.check_password(PASSWORD)


def test_finance_cannot_change_a_seller_login(client, db):
    client.force_login(staff_user("finance"))
    seller_login = SellerUserFactory().user
    response = client.post(
        reverse("admin:portal_user_change", args=[seller_login.pk]), change_post(seller_login, is_active="")
    )
    assert response.status_code == 403
    seller_login.refresh_from_db()
    assert seller_login.is_active is True


@pytest.mark.parametrize("role", ["ops", "finance"])
def test_staff_see_seller_logins_only_and_no_escalation_field(client, admin_user, role):
    me = staff_user(role)
    other_staff = UserFactory(is_staff=True, email="colleague-staff@example.com")
    seller_login = SellerUserFactory(user__email="owner@seller.example.com").user
    client.force_login(me)
    listed = client.get(reverse("admin:portal_user_changelist")).context["cl"].result_list
    assert [u.email for u in listed] == ["owner@seller.example.com"]
    assert other_staff not in listed and admin_user not in listed
    page = client.get(reverse("admin:portal_user_change", args=[seller_login.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for field in STAFF_FIELDS:
        assert f'name="{field}"' not in html
    assert "password/" not in html  # no link to the password change page


def test_superuser_still_manages_staff_accounts(client, admin_user):
    ops = staff_user("ops")
    client.force_login(admin_user)
    page = client.get(reverse("admin:portal_user_change", args=[ops.pk])).content.decode()
    assert 'name="is_superuser"' in page and 'name="groups"' in page
    assert client.get(reverse("admin:auth_user_password_change", args=[ops.pk])).status_code == 200


# --- seller memberships never hold a staff login -----------------------------------------------------


@pytest.mark.parametrize("as_superuser", [False, True])
def test_a_staff_login_cannot_be_attached_to_a_seller(client, admin_user, as_superuser):
    client.force_login(admin_user if as_superuser else staff_user("ops"))
    target = UserFactory(is_staff=True, email="another-staff@example.com")
    seller = SellerFactory()
    response = client.post(
        reverse("admin:portal_selleruser_add"), {"user": target.pk, "seller": seller.pk, "role": "owner"}
    )
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    for superuser in (admin_user,):
        response = client.post(
            reverse("admin:portal_selleruser_add"),
            {"user": superuser.pk, "seller": seller.pk, "role": "owner"},
        )
        assert "user" in response.context["adminform"].form.errors
    assert not SellerUser.objects.exists()
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "portal", "model_name": "selleruser", "field_name": "user", "term": "staff"},
    )
    assert autocomplete.status_code == 200
    assert autocomplete.json()["results"] == []


# --- the allow-lists still let each role do its SPEC §1 work -------------------------------------------


@pytest.mark.django_db
def test_ops_reach_the_admin_pages_of_their_work_and_finance_reads_them(client):
    from tests.factories import InboundOrderFactory, preset_card

    order = InboundOrderFactory()
    card = preset_card()
    seller_login = SellerUserFactory().user
    work = [
        reverse("admin:portal_seller_changelist"),
        reverse("admin:portal_user_change", args=[seller_login.pk]),
        reverse("admin:portal_invitation_changelist"),
        reverse("admin:inventory_inboundorder_change", args=[order.pk]),
        reverse("admin:inventory_ledgerfile_changelist"),
        reverse("admin:tariffs_ratecard_change", args=[card.pk]),
        reverse("admin:tariffs_contract_changelist"),
    ]
    ops_only = [
        reverse("admin:inventory_order_advance", args=[order.pk]),
        reverse("admin:inventory_order_receive", args=[order.pk]),
        reverse("admin:inventory_ledgerfile_add"),
        reverse("admin:tariffs_ratecard_add"),
        reverse("admin:tariffs_contract_add"),
    ]
    client.force_login(staff_user("ops"))
    assert {url: client.get(url).status_code for url in work + ops_only} == dict.fromkeys(
        work + ops_only, 200
    )
    client.logout()
    client.force_login(staff_user("finance"))
    assert {url: client.get(url).status_code for url in work} == dict.fromkeys(work, 200)
    assert {url: client.get(url).status_code for url in ops_only} == dict.fromkeys(ops_only, 403)


@pytest.mark.django_db
def test_the_seller_form_inline_cannot_attach_a_staff_login_either(client):
    ops = staff_user("ops")
    seller = SellerFactory()
    client.force_login(ops)
    url = reverse("admin:portal_seller_change", args=[seller.pk])
    data = {
        "code": seller.code,
        "name": seller.name,
        "legal_name": seller.legal_name,
        "tax_id": "",
        "country": seller.country,
        **billing_contacts_inline(seller),
        "language": seller.language,
        "default_currency": seller.default_currency,
        "status": seller.status,
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-user": str(ops.pk),
        "members-0-role": "owner",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "user" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert not SellerUser.objects.exists()
    seller_login = UserFactory(email="joins@seller.example.com")
    assert client.post(url, {**data, "members-0-user": str(seller_login.pk)}).status_code == 302
    assert SellerUser.objects.get().user == seller_login
