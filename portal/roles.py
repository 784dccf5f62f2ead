"""Ops and finance staff groups with their model permissions (SPEC §1), kept in sync after migrate."""

from django.apps import apps as global_apps

OPS_APPS = {"portal", "inventory", "tariffs", "billing", "django_celery_beat"}
FINANCE_FULL_APPS = {"billing"}
FINANCE_VIEW_APPS = {"portal", "inventory", "tariffs"}
# Ops follow the email queue (status, errors) in admin; bodies stay hidden (portal/email_admin.py).
OPS_VIEW_PERMISSIONS = {("post_office", "view_email"), ("post_office", "view_log")}


def sync_staff_groups(sender=None, apps=global_apps, using="default", **kwargs) -> None:
    """Give group ``ops`` every permission of the portal's apps; ``finance`` billing plus read access."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ops, _ = Group.objects.using(using).get_or_create(name="ops")
    finance, _ = Group.objects.using(using).get_or_create(name="finance")
    perms = Permission.objects.using(using).select_related("content_type")
    ops.permissions.set(
        [
            p
            for p in perms
            if p.content_type.app_label in OPS_APPS
            or (p.content_type.app_label, p.codename) in OPS_VIEW_PERMISSIONS
        ]
    )
    finance.permissions.set(
        [
            p
            for p in perms
            if p.content_type.app_label in FINANCE_FULL_APPS
            or (p.content_type.app_label in FINANCE_VIEW_APPS and p.codename.startswith("view_"))
        ]
    )
