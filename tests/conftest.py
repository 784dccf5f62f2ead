"""Fixtures through the real parts: sellers, a live Celery worker process, Debian's Chromium."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

from tests.factories import SellerUserFactory

# Tests hash passwords with MD5: the production hasher (PBKDF2, hundreds of thousands of rounds) costs
# ~0.3 s per login or factory user. Only the test process uses it (live_server runs in it too).
django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
get_hashers.cache_clear()
get_hashers_by_algorithm.cache_clear()

# Lanes: ``make test-fast`` runs ``-m "not e2e and not worker and not slow"``. Markers follow from the
# folder and the fixtures, so a new browser or worker test cannot slip into the fast lane unmarked.
BROWSER_FIXTURES = {"live_server", "page", "browser"}
WORKER_FIXTURES = {"celery_worker_process", "email_worker"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        fixtures -= set(callspec.params) if callspec else set()  # a parameter named "page" is no browser
        if "e2e" in Path(str(item.path)).relative_to(REPO).parts or BROWSER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.e2e)
        if WORKER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.worker)


REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request through the test client activates its user's language in this thread (LocaleMiddleware
    does not deactivate it): reset it, so that no test reads another test's language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def owner(db):
    """An owner login of an active seller."""
    return SellerUserFactory(role="owner")


@pytest.fixture
def other_owner(db):
    """An owner of a second, unrelated seller."""
    return SellerUserFactory(role="owner")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


def database_url_for_workers() -> str:
    """A DATABASE_URL for a worker process that points at the test database pytest-django created."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a shared database: run the suite on PostgreSQL (make test)")
    host = s.get("HOST") or "127.0.0.1"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"


def start_worker(*, broker_env: dict, tmp_path: Path, queue: str) -> subprocess.Popen:
    """Start ``celery worker`` as a separate process; a ``None`` in ``broker_env`` unsets that variable."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_workers(),
        "CELERY_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
    }
    for key, value in broker_env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    log = open(tmp_path / f"worker-{queue}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=info",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log.name
    return proc


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real ``celery worker`` process on the configured broker (Redis under ``make test``)."""
    from django.conf import settings as django_settings

    from portal.celery import app

    if not django_settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: run the suite with `make test`")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    proc = start_worker(broker_env={"REDIS_URL": django_settings.REDIS_URL}, tmp_path=tmp_path, queue=queue)
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield proc
    finally:
        app.conf.task_default_queue = previous_queue
        stop_worker(proc)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def wait_for(predicate, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@pytest.fixture(autouse=True)
def _migration_data_after_flush(request):
    """Transactional tests (live server, worker processes) flush every table when they end, data migrations'
    rows included; put the presets and destination rules back before a transactional test that needs them.
    (Serialized rollback would skip the post-migrate signal that recreates groups and permissions.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    from tariffs.models import RateCard
    from tariffs.presets import load_presets

    if not RateCard.objects.exists():
        load_presets(apps)
        importlib.import_module("inventory.migrations.0003_destination_rules").load_rules(apps, None)


# Email (issue 10, finding 9): messages are rows of post_office's queue; a worker sends them after commit.


def deliver_queued_mail() -> None:
    """Send the due part of the queue in this process (post_office's sending function; no file lock, and
    no closing of the database connection, so it is safe inside a test's transaction)."""
    from post_office.mail import send_queued

    send_queued(processes=1)


def _deliver_when_committed(sender, emails, **kwargs) -> None:
    from django.db import connection, transaction

    if all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        deliver_queued_mail()  # only the test's own transaction is open: the code under test autocommits
    else:
        transaction.on_commit(deliver_queued_mail)


@pytest.fixture(autouse=True)
def _email_queue_delivers_to_outbox(request, settings):
    """Tests keep Django's ``mail.outbox``: queued mail is delivered to the locmem backend in this process
    when the transaction that queued it commits, where production asks a Celery worker to send it.

    So ``mail.outbox`` fills in ``transaction=True`` tests and for mail queued outside any transaction
    (password reset). In plain ``db`` tests a service's transaction never commits: call ``sent_mail()``.
    Tests that use ``production_email_trigger`` (``email_worker`` does) keep production's trigger instead.
    """
    from post_office.signals import email_queued

    from portal.emails import send_queued_mail_after_commit

    # pytest-django sets EMAIL_BACKEND to locmem: put the queue back in front of it.
    settings.EMAIL_BACKEND = "portal.emails.QueuedEmailBackend"
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend"},
    }
    if "production_email_trigger" in request.fixturenames:
        yield
        return
    email_queued.disconnect(dispatch_uid="portal.emails.send_after_commit")
    email_queued.connect(_deliver_when_committed, dispatch_uid="tests.deliver_when_committed")
    try:
        yield
    finally:
        email_queued.disconnect(dispatch_uid="tests.deliver_when_committed")
        email_queued.connect(send_queued_mail_after_commit, dispatch_uid="portal.emails.send_after_commit")


@pytest.fixture
def production_email_trigger():
    """Keep production's trigger in this test: a commit that queued mail sends post_office's
    ``send_queued_mail`` task to the Celery broker (nothing is delivered in this process)."""


@pytest.fixture
def sent_mail(db):
    """``sent_mail()`` delivers every queued message that is due (as the worker would) and returns
    ``django.core.mail.outbox``, the list of messages sent in this test.

    Use it wherever a test reads the mail a change sent: in plain ``db`` tests the change's transaction
    never commits, so nothing is delivered until this is called; in ``transaction=True`` tests the
    outbox is already filled on commit and this adds nothing. Delivering twice never sends a message twice.
    """
    from django.core import mail

    def deliver():
        deliver_queued_mail()
        return mail.outbox

    return deliver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackSmtpServer:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that records every message it accepts; stop() and
    start() again on the same port to simulate an outage."""

    def __init__(self) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self.envelopes = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list:
        """The accepted messages, parsed (``email.message.EmailMessage``)."""
        import email
        import email.policy

        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes
        ]

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings):
    """The loopback SMTP server the queue delivers to (``.messages``; ``.stop()``, ``.start()``)."""
    server = LoopbackSmtpServer()
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = server.host, server.port, 5
    settings.EMAIL_USE_TLS = False
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
    }
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def email_worker(production_email_trigger, transactional_db, smtp_server, tmp_path):
    """A real ``celery worker`` process (Redis) that sends the email queue to ``smtp_server``, triggered
    after commit exactly as in production (no in-process delivery). Yields the server."""
    from django.conf import settings as django_settings

    from portal.celery import app

    if not django_settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: run the suite with `make test`")
    queue = f"test-email-{uuid.uuid4().hex[:8]}"
    proc = start_worker(
        broker_env={
            "REDIS_URL": django_settings.REDIS_URL,
            "EMAIL_HOST": smtp_server.host,
            "EMAIL_PORT": str(smtp_server.port),
            "EMAIL_TIMEOUT": "5",
        },
        tmp_path=tmp_path,
        queue=queue,
    )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield smtp_server
    finally:
        app.conf.task_default_queue = previous_queue
        stop_worker(proc)
