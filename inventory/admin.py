"""Admin for operators, warehouses and service lines."""

from django.contrib import admin

from inventory.models import Operator, ServiceLine, Warehouse


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "registration_number"]
    list_filter = ["country"]
    search_fields = ["code", "name", "legal_name", "registration_number"]


class ServiceLineInline(admin.TabularInline):
    model = ServiceLine
    extra = 0


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "operator", "currency", "time_zone"]
    list_filter = ["country", "operator", "currency"]
    search_fields = ["code", "name"]
    inlines = [ServiceLineInline]


@admin.register(ServiceLine)
class ServiceLineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["code", "name", "warehouse__code"]
    list_select_related = ["warehouse"]
