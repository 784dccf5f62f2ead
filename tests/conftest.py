"""Fixtures through the real parts: sellers, a live Celery worker process, Debian's Chromium."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.factories import SellerUserFactory

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


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
