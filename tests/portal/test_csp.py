"""Content-Security-Policy (django-csp): every page says where scripts and styles may come from, and no page
has an inline script, inline style or event handler attribute that the policy would refuse."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.test_hostile_input import seller_with_data  # noqa: F401 - a fixture
from tests.portal.test_tenancy import own_url, seller_urls

EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style\b", re.I)
JAVASCRIPT_URL = re.compile(r"""(href|action|src)\s*=\s*["']?\s*javascript:""", re.I)


def inline_code(html: str) -> list[str]:
    """What the policy would refuse: inline scripts (not JSON data), handlers, style attributes and tags."""
    found = [
        f"<script{attrs}>"
        for attrs in SCRIPT.findall(html)
        if "src=" not in attrs and 'type="application/json"' not in attrs
    ]
    for pattern in (HANDLER, STYLE_ATTR, STYLE_TAG, JAVASCRIPT_URL):
        found += [match.group(0)[:120] for match in pattern.finditer(html)]
    return found


def test_inline_code_is_found():
    assert inline_code('<script>alert(1)</script><p onclick="x()">') == ["<script>", "<p onclick="]
    assert inline_code('<div style="width: 3px">') and inline_code("<style>p{}</style>")
    assert not inline_code('<script src="/static/a.js"></script><script type="application/json">{}</script>')


@pytest.mark.django_db
def test_the_policy_is_on_seller_pages_login_and_admin(owner_client, admin_client):
    for client, url in (
        (owner_client, reverse("portal:dashboard")),
        (Client(), reverse("login")),
        (admin_client, reverse("admin:index")),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert policy(response) == EXPECTED, url


def test_no_seller_page_has_inline_code(owner, seller_with_data):  # noqa: F811
    client = Client()
    client.force_login(owner.user)
    checked = 0
    for name, pattern in seller_urls():
        if not hasattr(pattern.callback.view_class, "get"):
            continue
        response = client.get(own_url(name, pattern, seller_with_data), follow=True)
        if not response["Content-Type"].startswith("text/html"):
            continue
        assert inline_code(response.content.decode()) == [], name
        checked += 1
    # The htmx fragments (quote result, ledger progress) are parts of these pages; the public pages too.
    for url in (reverse("login"), reverse("register"), reverse("password_reset")):
        assert inline_code(Client().get(url).content.decode()) == [], url
    assert checked >= 15


@pytest.mark.django_db
def test_the_project_admin_pages_have_no_inline_code(admin_client, owner):
    from inventory.models import InboundOrder
    from tariffs.models import RateCard, RateCardVersion
    from tests.factories import InboundOrderFactory

    order = InboundOrderFactory(seller=owner.seller, state=InboundOrder.State.RECEIVING)
    card = RateCard.objects.filter(versions__isnull=False).first()
    version = RateCardVersion.objects.filter(rate_card=card).first()
    urls = [
        reverse("admin:index"),
        reverse("admin:inventory_inboundorder_change", args=[order.pk]),
        reverse("admin:inventory_inboundorder_changelist"),
        reverse("admin:inventory_order_receive", args=[order.pk]) + f"?carton_id={order.number}-C001",
        reverse("admin:inventory_order_advance", args=[order.pk]),
        reverse("admin:tariffs_ratecard_change", args=[card.pk]),
        reverse("admin:tariffs_ratecard_diff", args=[card.pk]),
        reverse("admin:tariffs_ratecardversion_change", args=[version.pk]),
        reverse("admin:django_celery_beat_periodictask_add"),
        reverse("admin:portal_seller_changelist"),
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
