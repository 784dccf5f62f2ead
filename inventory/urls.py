from django.urls import include, path

app_name = "inventory"
urlpatterns = [
    path("skus/", include("inventory.sku_urls")),
    path("inbound/", include("inventory.order_urls")),
    path("ledgers/", include("inventory.ledger_urls")),
    path("exports/", include("inventory.export_urls")),
]
