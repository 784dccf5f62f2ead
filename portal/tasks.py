"""Celery tasks of the portal app."""

import os
import socket

from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict:
    """Round trip through the broker to a worker process, which also reaches the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {
        "pong": one == 1,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "vendor": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
    }
