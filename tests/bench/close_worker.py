"""The portal's Celery app for the close bench's worker processes (``celery -A tests.bench.close_worker``):
the same app and tasks, plus, when the worker stops, a JSON file with the seconds it spent in each phase of
the close (``billing.close.PHASES``) and its peak RSS, in ``$BENCH_CLOSE_OUT/<pid>.json``."""

import json
import os
import resource
from pathlib import Path

from celery.signals import worker_shutdown

from portal.celery import app

__all__ = ["app"]


@worker_shutdown.connect
def _dump_phases(**kwargs) -> None:
    out = os.environ.get("BENCH_CLOSE_OUT")
    if not out:
        return
    from billing.close import PHASES

    report = {
        "pid": os.getpid(),
        "phases": PHASES,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    Path(out, f"{os.getpid()}.json").write_text(json.dumps(report))
