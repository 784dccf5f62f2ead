from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal and accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import celery  # noqa: F401  (the Celery app, loaded in every Django process: tasks bind to it)
        from .emails import connect_queue_signals
        from .roles import sync_staff_groups

        post_migrate.connect(sync_staff_groups, dispatch_uid="portal.sync_staff_groups")
        connect_queue_signals()
