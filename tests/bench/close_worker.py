"""The portal's Celery app for the close bench's worker processes (``celery -A tests.bench.close_worker``):
the same app and tasks, plus, when the worker stops, a JSON file (``$BENCH_CLOSE_OUT/<pid>.json``) with the
seconds it spent in each phase of the close (``billing.close.PHASES``), in its tasks in all, and its peak
RSS."""

import json
import os
import resource
import time
from pathlib import Path

from celery.signals import task_postrun, task_prerun, worker_shutdown

from portal.celery import app

__all__ = ["app"]

_started: dict[str, float] = {}
_tasks = {"seconds": 0.0, "count": 0}


@task_prerun.connect
def _task_started(task_id=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_ended(task_id=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        _tasks["seconds"] += time.perf_counter() - started
        _tasks["count"] += 1


@worker_shutdown.connect
def _dump_phases(**kwargs) -> None:
    out = os.environ.get("BENCH_CLOSE_OUT")
    if not out:
        return
    from billing.close import PHASES

    report = {
        "pid": os.getpid(),
        "phases": PHASES,
        "tasks": _tasks,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    Path(out, f"{os.getpid()}.json").write_text(json.dumps(report))
