"""Tasks go through a real broker to a separate Celery worker process (issue 3)."""

import os

import pytest
from celery import Celery

from portal.tasks import ping
from tests.conftest import start_worker, stop_worker


def assert_pong(result: dict, vendor: str, database: str) -> None:
    assert result["pong"] is True
    assert result["pid"] != os.getpid()  # answered by another process, not eagerly in this one
    assert result["vendor"] == vendor
    assert result["database"] == database


@pytest.mark.worker
def test_task_round_trip_through_redis_to_a_worker_process(celery_worker_process):
    from django.db import connection

    result = ping.delay().get(timeout=60)
    assert_pong(result, connection.vendor, connection.settings_dict["NAME"])


@pytest.mark.worker
def test_embedded_filesystem_broker_of_make_run_feeds_a_real_worker(transactional_db, tmp_path):
    """`make run` uses kombu's filesystem transport and a file result backend: no Redis server."""
    from django.db import connection

    var_dir = tmp_path / "var"
    queue = "fs-test"
    proc = start_worker(
        broker_env={"REDIS_URL": None, "PORTAL_VAR_DIR": str(var_dir)}, tmp_path=tmp_path, queue=queue
    )
    broker_dir = var_dir / "celery"
    producer = Celery(
        "producer",
        set_as_current=False,  # else the portal's tasks would send to this broker in the tests after this one
        broker="filesystem://",
        backend=f"file://{broker_dir / 'results'}",
        broker_transport_options={
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "control_folder": str(broker_dir / "control"),
        },
    )
    try:
        for folder in ("queue", "results", "control"):
            (broker_dir / folder).mkdir(parents=True, exist_ok=True)
        result = producer.send_task("portal.tasks.ping", queue=queue).get(timeout=60)
    finally:
        stop_worker(proc)
    assert_pong(result, connection.vendor, connection.settings_dict["NAME"])
