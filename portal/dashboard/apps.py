from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """No models: an app so that ``manage.py load_demo`` is found."""

    name = "portal.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard and demo data")
