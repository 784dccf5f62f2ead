"""Operators, warehouses and their service lines (SPEC §3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Country, Currency


class Operator(models.Model):
    """The company that runs warehouses and issues the invoices (numbering is per operator)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    registration_number = models.CharField(
        _("registration number"),
        max_length=40,
        blank=True,
        help_text=_("Tax or qualified-invoice registration number printed on invoices."),
    )
    address = models.TextField(_("address"), blank=True)

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="warehouses", verbose_name=_("operator")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    currency = models.CharField(_("billing currency"), max_length=3, choices=Currency.choices)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class ServiceLine(models.Model):
    """A service a warehouse offers (e.g. Cainiao bonded, the Vietnamese E-commerce line)."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="service_lines", verbose_name=_("warehouse")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("service line")
        verbose_name_plural = _("service lines")
        ordering = ["warehouse", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="service_line_code_per_warehouse")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code} / {self.name}"
