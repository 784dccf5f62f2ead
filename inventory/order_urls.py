from django.urls import path

from inventory import order_views

urlpatterns = [
    path("", order_views.OrderListView.as_view(), name="order-list"),
]
