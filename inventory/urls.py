from django.urls import include, path

app_name = "inventory"
urlpatterns = [
    path("skus/", include("inventory.catalog.urls")),
    path("inbound/", include("inventory.inbound.urls")),
    path("ledgers/", include("inventory.ledgers.urls")),
    path("exports/", include("inventory.export_urls")),
]
