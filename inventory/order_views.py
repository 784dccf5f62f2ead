"""Seller pages of inbound replenishment orders (SPEC §5, §13)."""

from django.views.generic import TemplateView

from portal.tenancy import SellerViewMixin


class OrderListView(SellerViewMixin, TemplateView):
    template_name = "inventory/order_list.html"
