from django.urls import path

from billing import dispute_views as views

app_name = "disputes"
urlpatterns = [
    path("", views.DisputeListView.as_view(), name="dispute-list"),
    path("<int:pk>/", views.DisputeDetailView.as_view(), name="dispute-detail"),
    path("<int:pk>/reply/", views.DisputeReplyView.as_view(), name="dispute-reply"),
    path("<int:pk>/withdraw/", views.DisputeWithdrawView.as_view(), name="dispute-withdraw"),
    path("evidence/<int:pk>/", views.DisputeAttachmentView.as_view(), name="dispute-attachment"),
    path("new/<int:pk>/<int:position>/", views.DisputeOpenView.as_view(), name="dispute-open"),
]
