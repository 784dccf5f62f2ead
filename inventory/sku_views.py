"""Seller pages of the SKU catalog (SPEC §4, §13)."""

from django.views.generic import TemplateView

from portal.tenancy import SellerViewMixin


class SkuListView(SellerViewMixin, TemplateView):
    template_name = "inventory/sku_list.html"
