from django.urls import path

from inventory import sku_views

urlpatterns = [
    path("", sku_views.SkuListView.as_view(), name="sku-list"),
]
