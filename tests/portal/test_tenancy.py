"""Every seller-facing URL with an object id answers 404 for another seller's object (SPEC §1).

The test walks the URL conf, so a new seller URL is covered as soon as it is added: a parametrised
URL must either be in PUBLIC_URLS (its parameter is a credential, e.g. an emailed token) or its
view must scope by seller through ``portal.tenancy.SellerObjectMixin`` with a factory in
``tests.factories.scoped_factories()``.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.tenancy import SellerObjectMixin
from tests.factories import scoped_factories

PUBLIC_URLS = {
    "invitation-accept",  # the token is the credential
    "password_reset_confirm",  # Django's signed reset link
}
NOT_SELLER_FACING = ("admin:",)
# URL parameters that name no object (e.g. which ledger kind): such a URL needs no object scoping.
NON_OBJECT_PARAMS = {"kind"}
# Values for URL parameters that are not attributes of the object (e.g. which document of an order).
SAMPLE_KWARGS = {"document": "labels"}
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
