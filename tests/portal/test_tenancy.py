"""Every seller-facing URL with an object id answers 404 for another seller's object (SPEC §1).

The test walks the URL conf, so a new seller URL is covered as soon as it is added: a parametrised
URL must either be in PUBLIC_URLS (its parameter is a credential, e.g. an emailed token) or its
view must scope by seller through ``portal.tenancy.SellerObjectMixin`` with a factory in
``tests.factories.scoped_factories()``.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.tenancy import SellerObjectMixin, SellerViewMixin
from tests.factories import scoped_factories

PUBLIC_URLS = {
    "invitation-accept",  # the token is the credential
    "password_reset_confirm",  # Django's signed reset link
}
NOT_SELLER_FACING = ("admin:",)
# URL parameters that name no object (e.g. which ledger kind): such a URL needs no object scoping.
NON_OBJECT_PARAMS = {"kind"}
# Values for URL parameters that are not attributes of the object (e.g. which document of an order).
SAMPLE_KWARGS = {"document": "labels", "position": 1}
# URLs whose view only serves objects in some state: (field, value) set on both sellers' objects.
OBJECT_STATE = {"inventory:order-edit": ("state", "draft")}


def walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def parametrised_seller_urls():
    found = []
    for name, pattern in walk(get_resolver().url_patterns):
        if name.startswith(NOT_SELLER_FACING) or name in PUBLIC_URLS:
            continue
        if set(pattern.pattern.converters) - NON_OBJECT_PARAMS:
            found.append((name, pattern))
    return found


def test_the_walk_finds_the_seller_urls():
    names = {name for name, _ in parametrised_seller_urls()}
    assert {"portal:member-edit", "portal:invitation-revoke"} <= names


@pytest.mark.parametrize(
    "name,pattern", parametrised_seller_urls(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_another_sellers_object_is_not_found(name, pattern, owner_client, other_owner, owner):
    view_class = getattr(pattern.callback, "view_class", None)
    assert view_class is not None and issubclass(view_class, SellerObjectMixin), (
        f"{name} takes an id but its view does not scope by seller through SellerObjectMixin"
    )
    model = view_class.scoped_model
    SCOPED_FACTORIES = scoped_factories()
    assert model in SCOPED_FACTORIES, (
        f"add a factory for {model.__name__} to tests.factories.scoped_factories()"
    )
    foreign = SCOPED_FACTORIES[model](seller=other_owner.seller)
    own = SCOPED_FACTORIES[model](seller=owner.seller)
    if name in OBJECT_STATE:
        field, value = OBJECT_STATE[name]
        for obj in (foreign, own):
            model.objects.filter(pk=obj.pk).update(**{field: value})

    def kwargs_for(obj):
        return {
            key: getattr(obj, key) if hasattr(obj, key) else SAMPLE_KWARGS[key]
            for key in pattern.pattern.converters
        }

    url_of = kwargs_for(foreign)
    methods = [method for method in ("get", "post") if hasattr(view_class, method)]
    assert methods
    for method in methods:
        response = getattr(owner_client, method)(reverse(name, kwargs=url_of))
        assert response.status_code == 404, f"{method.upper()} {name} for another seller's id"
    # The same view with the user's own object is reachable (the 404 above is about the seller).
    own_url = reverse(name, kwargs=kwargs_for(own))
    assert getattr(owner_client, methods[0])(own_url).status_code in (200, 302)


def test_seller_pages_need_a_login(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_account_lists_only_the_users_own_colleagues(owner_client, other_owner):
    response = owner_client.get(reverse("portal:account"))
    assert response.status_code == 200
    assert other_owner.user.email not in response.content.decode()


# --- Seller states: a suspended seller reads only, a pending seller sees only the waiting page. ---

NOT_SELLER_VIEWS = "the login, registration, password and language pages are not seller views"


def seller_urls():
    """Every URL whose view is a seller view (``SellerViewMixin``), parametrised or not."""
    found = []
    for name, pattern in walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if name.startswith(NOT_SELLER_FACING) or view_class is None:
            continue
        if issubclass(view_class, SellerViewMixin):
            found.append((name, pattern))
    return found


def own_url(name, pattern, seller) -> str:
    """The URL of ``name`` for one of ``seller``'s own objects (created with its scoped factory)."""
    converters = set(pattern.pattern.converters)
    if not converters - NON_OBJECT_PARAMS:
        return reverse(name, kwargs=dict.fromkeys(converters, "stock"))
    model = pattern.callback.view_class.scoped_model
    obj = scoped_factories()[model](seller=seller)
    if name in OBJECT_STATE:
        field, value = OBJECT_STATE[name]
        model.objects.filter(pk=obj.pk).update(**{field: value})
        obj.refresh_from_db()
    kwargs = {key: getattr(obj, key) if hasattr(obj, key) else SAMPLE_KWARGS[key] for key in converters}
    return reverse(name, kwargs=kwargs)


def database_snapshot() -> dict:
    """Every row of the project's own apps, to show that a refused request changed nothing."""
    from django.apps import apps

    snapshot = {}
    for label in ("portal", "inventory", "tariffs", "billing"):
        for model in apps.get_app_config(label).get_models():
            snapshot[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return snapshot


# Forms a suspended seller still gets on every page: logging out and switching the language.
ALWAYS_ALLOWED_FORMS = ("logout", "set-language")


def post_forms(html: str) -> list[str]:
    """The action of every POST form of a page."""
    import re

    forms = re.findall(r"<form\b[^>]*>", html, flags=re.I)
    return [
        (re.search(r'action="([^"]*)"', tag) or re.search(r"()", "")).group(1)
        for tag in forms
        if re.search(r'method="post"', tag, flags=re.I)
    ]


def links(html: str) -> list[str]:
    import re

    return re.findall(r'href="(/[^"?#]*)', html)


def test_the_state_walk_finds_the_seller_pages():
    names = {name for name, _ in seller_urls()}
    assert {"portal:dashboard", "inventory:sku-create", "inventory:ledger-list", "tariffs:quote"} <= names
    assert "login" not in names and "set-language" not in names, NOT_SELLER_VIEWS


@pytest.fixture
def suspended_owner(owner):
    from portal.models import Seller

    Seller.objects.filter(pk=owner.seller_id).update(status=Seller.Status.SUSPENDED)
    owner.seller.refresh_from_db()
    return owner


@pytest.fixture
def pending_owner(owner):
    from portal.models import Seller

    Seller.objects.filter(pk=owner.seller_id).update(status=Seller.Status.PENDING)
    owner.seller.refresh_from_db()
    return owner


@pytest.mark.parametrize("name,pattern", seller_urls(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_suspended_seller_reads_but_changes_nothing(name, pattern, client, suspended_owner):
    from django.urls import resolve

    client.force_login(suspended_owner.user)
    url = own_url(name, pattern, suspended_owner.seller)
    view_class = pattern.callback.view_class
    before = database_snapshot()
    if not view_class.allowed_when_suspended:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code == 403, f"{method.upper()} {name} by a suspended seller"
            assert b'id="seller-suspended-refusal"' in response.content
        assert database_snapshot() == before, f"a refused POST to {name} changed data"
    if not hasattr(view_class, "get"):
        return
    response = client.get(url)
    if view_class.form_page and not view_class.allowed_when_suspended:
        assert response.status_code == 403, f"{name} only creates or edits: refused when suspended"
        assert b'id="seller-suspended-refusal"' in response.content
        return
    assert response.status_code in (200, 302), f"GET {name} is a read page: allowed when suspended"
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    html = response.content.decode()
    if "<html" in html:  # a whole page, not an htmx fragment that polls for progress
        assert 'id="suspended-banner"' in html
    for action in post_forms(html):
        target = resolve(action or url)
        target_name = target.url_name
        target_class = getattr(target.func, "view_class", None)
        assert target_name in ALWAYS_ALLOWED_FORMS or getattr(
            target_class, "allowed_when_suspended", False
        ), f"{name} offers a POST form to {action or 'itself'} to a suspended seller"
    for href in links(html):
        try:
            target = resolve(href)
        except Exception:  # static files, media
            continue
        target_class = getattr(target.func, "view_class", None)
        if name == "portal:account" and target.url_name == "member-edit":
            continue  # the member's email links to its page, as for a non-owner (403 there)
        assert not getattr(target_class, "form_page", False), f"{name} links to the form page {href}"


def test_a_suspended_seller_signs_in_and_sees_why(client, suspended_owner):
    from tests.factories import PASSWORD

    response = client.post(
        reverse("login"), {"username": suspended_owner.user.email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.resolver_match.url_name == "dashboard"
    assert 'id="suspended-banner"' in response.content.decode()
    # Switching the language and logging out stay allowed.
    response = client.post(reverse("set-language"), {"language": "ja", "next": "/"})
    assert response.status_code == 302
    suspended_owner.user.refresh_from_db()
    assert suspended_owner.user.language == "ja"
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 302  # logged out


def test_a_suspended_seller_cannot_delete_a_certificate(client, suspended_owner):
    from inventory.models import Certificate
    from tests.factories import CertificateFactory, SkuFactory

    certificate = CertificateFactory(sku=SkuFactory(seller=suspended_owner.seller))
    client.force_login(suspended_owner.user)
    response = client.post(reverse("inventory:certificate-delete", args=[certificate.pk]))
    assert response.status_code == 403
    assert Certificate.objects.filter(pk=certificate.pk).exists()
    page = client.get(reverse("inventory:sku-detail", args=[certificate.sku_id])).content.decode()
    assert certificate.number in page and "certificate-delete" not in page and "certificate-form" not in page


@pytest.mark.parametrize("name,pattern", seller_urls(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_pending_seller_sees_only_the_waiting_page(name, pattern, client, pending_owner):
    client.force_login(pending_owner.user)
    url = own_url(name, pattern, pending_owner.seller)
    before = database_snapshot()
    response = client.post(url)
    assert response.status_code == 403, f"POST {name} by a pending seller"
    assert b'id="seller-waiting"' in response.content
    assert database_snapshot() == before
    response = client.get(url)
    assert response.status_code == 200
    assert b'id="seller-waiting"' in response.content, f"GET {name} by a pending seller"
    assert b"app-sidebar" not in response.content
