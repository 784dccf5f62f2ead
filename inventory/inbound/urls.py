from django.urls import path

from inventory.inbound import views as order_views

urlpatterns = [
    path("", order_views.OrderListView.as_view(), name="order-list"),
    path("new/", order_views.OrderCreateView.as_view(), name="order-create"),
    path("<int:pk>/", order_views.OrderDetailView.as_view(), name="order-detail"),
    path("<int:pk>/edit/", order_views.OrderEditView.as_view(), name="order-edit"),
    path("<int:pk>/submit/", order_views.OrderSubmitView.as_view(), name="order-submit"),
    path("<int:pk>/cancel/", order_views.OrderCancelView.as_view(), name="order-cancel"),
    path("<int:pk>/documents/", order_views.OrderDocumentsView.as_view(), name="order-documents"),
    path(
        "<int:pk>/documents/<slug:document>/", order_views.OrderDocumentView.as_view(), name="order-document"
    ),
    path("attachments/<int:pk>/", order_views.OrderAttachmentView.as_view(), name="order-attachment"),
]
