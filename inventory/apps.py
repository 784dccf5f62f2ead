from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from portal import namespace

        namespace.register("inventory.seller_alias", alias_holder)


def alias_holder(value: str) -> str | None:
    """The ledger alias equal to ``value`` (case-insensitive), as a message: seller codes must differ."""
    from django.utils.translation import gettext as _

    from portal.models import SellerAlias

    alias = SellerAlias.objects.filter(alias__iexact=value.strip()).select_related("warehouse").first()
    if alias is None:
        return None
    return _("a ledger alias at warehouse %(warehouse)s") % {"warehouse": alias.warehouse.code}
