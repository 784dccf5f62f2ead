"""Django admin for accounts: ops approve sellers, manage logins and invitations."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Invitation, Seller, SellerUser, User
from .namespace import SellerCodeForm

admin.site.site_header = _("Seller Portal · Operations")
admin.site.site_title = _("Seller Portal admin")
admin.site.index_title = _("Operations")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "seller", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups", "language"]
    search_fields = ["email", "first_name", "last_name", "membership__seller__name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description=_("seller"), ordering="membership__seller__name")
    def seller(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.seller.name if membership else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("membership__seller")


class SellerUserInline(admin.TabularInline):
    model = SellerUser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    form = SellerCodeForm  # codes and ledger aliases share one namespace (SPEC §6)
    list_display = ["code", "name", "country", "default_currency", "status", "created_at", "approved_at"]
    list_filter = ["status", "country", "default_currency", "language"]
    search_fields = ["code", "name", "legal_name", "tax_id", "billing_email"]
    readonly_fields = ["created_at", "approved_at", "approved_by"]
    inlines = [SellerUserInline]
    actions = ["approve"]

    @admin.action(description=_("Approve selected sellers"), permissions=["change"])
    def approve(self, request, queryset):
        count = services.approve_sellers(sellers=list(queryset), approved_by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d seller approved.", "%(count)d sellers approved.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(SellerUser)
class SellerUserAdmin(admin.ModelAdmin):
    list_display = ["user", "seller", "role", "joined_at"]
    list_filter = ["role", "seller"]
    search_fields = ["user__email", "seller__name", "seller__code"]
    autocomplete_fields = ["user", "seller"]
    list_select_related = ["user", "seller"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "seller", "role", "status", "created_at", "expires_at"]
    list_filter = ["status", "role"]
    search_fields = ["email", "seller__name"]
    readonly_fields = ["token", "created_at", "accepted_at"]
    list_select_related = ["seller"]
