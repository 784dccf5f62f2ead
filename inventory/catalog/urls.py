from django.urls import path

from inventory.catalog import views as sku_views

urlpatterns = [
    path("", sku_views.SkuListView.as_view(), name="sku-list"),
    path("new/", sku_views.SkuCreateView.as_view(), name="sku-create"),
    path("import/", sku_views.SkuImportView.as_view(), name="sku-import"),
    path("import/<int:pk>/", sku_views.SkuImportJobView.as_view(), name="sku-import-job"),
    path("export/", sku_views.SkuExportView.as_view(), name="sku-export"),
    path("<int:pk>/", sku_views.SkuDetailView.as_view(), name="sku-detail"),
    path("<int:pk>/edit/", sku_views.SkuEditView.as_view(), name="sku-edit"),
    path("certificates/<int:pk>/file/", sku_views.CertificateFileView.as_view(), name="certificate-file"),
    path(
        "certificates/<int:pk>/delete/", sku_views.CertificateDeleteView.as_view(), name="certificate-delete"
    ),
]
