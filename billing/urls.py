from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="invoice-list"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("<int:pk>/lines/<int:position>/", views.InvoiceLineRowsView.as_view(), name="invoice-line"),
    path("<int:pk>/invoice.csv", views.InvoiceDownloadView.as_view(file_format="csv"), name="invoice-csv"),
    path("<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("credit-notes/<int:pk>/pdf/", views.CreditNotePdfView.as_view(), name="credit-note-pdf"),
    path("<int:pk>/invoice.xlsx", views.InvoiceDownloadView.as_view(file_format="xlsx"), name="invoice-xlsx"),
]
