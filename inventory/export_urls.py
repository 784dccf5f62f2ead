from django.urls import path

from inventory import export_views

urlpatterns = [
    path("<int:pk>/", export_views.ExportJobView.as_view(), name="export"),
    path("<int:pk>/download/", export_views.ExportDownloadView.as_view(), name="export-download"),
]
