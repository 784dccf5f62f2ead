from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from inventory.signals import warehouse_rows_changed

        warehouse_rows_changed.connect(_warehouse_rows_changed, dispatch_uid="billing.drafts_stale")


def _warehouse_rows_changed(sender, *, ledger_file, spans, **kwargs) -> None:
    """A warehouse upload stored or withdrawn: the drafts of its sellers, lines and months go stale."""
    from billing.close import mark_drafts_stale
    from billing.figures import request_refresh

    mark_drafts_stale(
        warehouse_id=ledger_file.warehouse_id,
        spans=spans,
        reason=f"upload #{ledger_file.pk} {ledger_file.status}",
        ledger_file=ledger_file,
    )
    request_refresh({seller_id for seller_id, _ in spans})  # the dashboard and preview, on a worker
