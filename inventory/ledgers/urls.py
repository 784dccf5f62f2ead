from django.urls import path

from inventory.ledgers import views as ledger_views

urlpatterns = [
    path("", ledger_views.LedgerListView.as_view(), name="ledger-list"),
    path("files/<int:pk>/", ledger_views.LedgerFileView.as_view(), name="ledger-file"),
    path("files/<int:pk>/errors.csv", ledger_views.LedgerErrorsView.as_view(), name="ledger-file-errors"),
    path("rows/<slug:kind>/", ledger_views.LedgerRowsView.as_view(), name="ledger-rows"),
]
