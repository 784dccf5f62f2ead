"""Root URL conf: admin, authentication, and each app's seller-facing pages. The top layer (issue 11)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .dashboard.views import DashboardView, MonthToDateView, OrderBilledView
from .forms import LoginForm

app_urls = (
    [
        path("", DashboardView.as_view(), name="dashboard"),
        path("billing/month-to-date/", MonthToDateView.as_view(), name="month-to-date"),
        path("billing/orders/<int:pk>/billed/", OrderBilledView.as_view(), name="order-billed"),
        path("account/", views.AccountView.as_view(), name="account"),
        path("account/members/<int:pk>/", views.MemberEditView.as_view(), name="member-edit"),
        path("account/contacts/<int:pk>/", views.BillingContactEditView.as_view(), name="contact-edit"),
        path(
            "account/contacts/<int:pk>/remove/",
            views.BillingContactRemoveView.as_view(),
            name="contact-remove",
        ),
        path(
            "account/invitations/<int:pk>/revoke/",
            views.InvitationRevokeView.as_view(),
            name="invitation-revoke",
        ),
    ],
    "portal",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("invite/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("language/", views.SetLanguageView.as_view(), name="set-language"),
    path("quote/", include("tariffs.urls")),
    path("invoices/", include("billing.urls")),
    path("disputes/", include("billing.dispute_urls")),
    path("", include("inventory.urls")),
    path("", include(app_urls)),
]
