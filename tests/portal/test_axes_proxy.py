"""django-axes behind a reverse proxy: the client's address comes from X-Forwarded-For only when the
settings say proxies are in front (security review, finding 10)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

PROXY = "10.0.0.2"  # REMOTE_ADDR: the reverse proxy every request comes through


def log_in(client, email, password, forwarded_for=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


@pytest.mark.django_db
def test_with_one_trusted_proxy_the_client_ip_is_the_last_forwarded_address(owner, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    email = owner.user.email
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The client may put anything in the header; the proxy appends the address it saw.
        log_in(Client(), email, "wrong-password", forwarded_for=f"198.51.100.{n}, 203.0.113.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    locked = log_in(Client(), email, PASSWORD, forwarded_for="203.0.113.7")
    assert locked.status_code == 429
    other_client = Client()
    assert log_in(other_client, email, PASSWORD, forwarded_for="203.0.113.8").status_code == 302
    assert "_auth_user_id" in other_client.session


@pytest.mark.django_db
def test_without_the_proxy_setting_the_forwarded_header_is_ignored(owner, settings):
    assert settings.AXES_IPWARE_PROXY_COUNT is None  # the default: no proxy in front
    email = owner.user.email
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), email, "wrong-password", forwarded_for=f"203.0.113.{n}")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]
    spoofing = Client()
    assert log_in(spoofing, email, PASSWORD, forwarded_for="203.0.113.99").status_code == 429
    assert "_auth_user_id" not in spoofing.session


@pytest.mark.django_db
def test_a_header_shorter_than_the_proxy_chain_or_not_an_address_falls_back_to_remote_addr(owner, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 2
    log_in(Client(), owner.user.email, "wrong-password", forwarded_for="203.0.113.7")
    settings.AXES_IPWARE_PROXY_COUNT = 1
    log_in(Client(), owner.user.email, "wrong-password", forwarded_for="not-an-ip")
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [(PROXY, 2)]
