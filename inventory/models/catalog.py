"""The catalog (SPEC §4): SKUs and their certificates, the destination rules, SKU imports."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Currency


def destination_of(country: str) -> str:
    """The compliance destination of a warehouse country: EU members share one (SPEC §4)."""
    return "EU" if country in EU_COUNTRIES else country


EU_COUNTRIES = {
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BE",
    "PL",
    "AT",
    "IE",
    "PT",
    "SE",
    "DK",
    "FI",
    "CZ",
    "HU",
    "RO",
}


class Sku(models.Model):
    """A seller's product, with what customs and the destination's compliance rules need (SPEC §4)."""

    class Category(models.TextChoices):
        GENERAL = "general", _("General merchandise")
        ELECTRONICS = "electronics", _("Electronics")
        APPAREL = "apparel", _("Apparel")
        HOME = "home", _("Home and kitchen")
        TOYS = "toys", _("Toys")
        FOOD = "food", _("Food")
        COSMETICS = "cosmetics", _("Cosmetics")

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="skus", verbose_name=_("seller")
    )
    code = models.CharField(_("SKU code"), max_length=64)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    name_ja = models.CharField(_("Japanese name"), max_length=200, blank=True)
    material = models.CharField(_("material"), max_length=200, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.GENERAL
    )
    hs_code = models.CharField(
        _("HS code"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{6,10}$", _("An HS code has 6 to 10 digits."))],
    )
    declared_value = models.DecimalField(
        _("declared value"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    declared_currency = models.CharField(
        _("declared currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    net_weight_g = models.DecimalField(
        _("net weight (g)"),
        max_digits=10,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    length_mm = models.PositiveIntegerField(
        _("length (mm)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    width_mm = models.PositiveIntegerField(
        _("width (mm)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    height_mm = models.PositiveIntegerField(
        _("height (mm)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    units_per_carton = models.PositiveIntegerField(
        _("units per carton"), default=1, validators=[MinValueValidator(1)]
    )
    carton_length_mm = models.PositiveIntegerField(
        _("carton length (mm)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    carton_width_mm = models.PositiveIntegerField(
        _("carton width (mm)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    carton_height_mm = models.PositiveIntegerField(
        _("carton height (mm)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    fnsku = models.CharField(_("FNSKU"), max_length=20, blank=True)
    has_battery = models.BooleanField(_("contains battery"), default=False)
    is_liquid = models.BooleanField(_("liquid"), default=False)
    is_powder = models.BooleanField(_("powder"), default=False)
    is_electrical = models.BooleanField(_("electrical (mains powered)"), default=False)
    is_fragile = models.BooleanField(_("fragile"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["seller", "code"]
        constraints = [models.UniqueConstraint(fields=["seller", "code"], name="sku_code_per_seller")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name_en}"


class Certificate(models.Model):
    """A compliance document of a SKU (PSE, MSDS, CE, UKCA, FDA, other), with its number and expiry."""

    class Kind(models.TextChoices):
        PSE = "PSE", "PSE"
        MSDS = "MSDS", "MSDS"
        CE = "CE", "CE"
        UKCA = "UKCA", "UKCA"
        FDA = "FDA", "FDA"
        OTHER = "OTHER", _("Other")

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("SKU"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=80)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="certificates/%Y/%m/", blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    seller_lookup = "sku__seller"

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["sku", "kind", "-expires_on"]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"

    def is_valid_on(self, day) -> bool:
        return self.expires_on is None or self.expires_on >= day


class DestinationRule(models.Model):
    """What a SKU needs before it may ship into a destination (SPEC §4), as data ops can extend.

    A rule applies when ``applies_when`` is empty, or when any listed flag of the SKU is set or its
    category is listed; it is met when any of ``certificates`` is valid, or ``field`` is filled in.
    """

    destination = models.CharField(
        _("destination"),
        max_length=3,
        help_text=_("Country code (JP, GB, US), EU, or ANY for every destination."),
    )
    applies_when = models.JSONField(
        _("applies when"),
        default=list,
        blank=True,
        help_text=_('SKU flags or categories, e.g. ["has_battery", "is_liquid"].'),
    )
    certificates = models.JSONField(_("certificates (any of)"), default=list, blank=True)
    field = models.CharField(_("required field"), max_length=40, blank=True)
    requirement = models.CharField(
        _("requirement"), max_length=200, help_text=_("What the seller reads when it is missing.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("destination rule")
        verbose_name_plural = _("destination rules")
        ordering = ["destination", "id"]

    def __str__(self) -> str:
        return f"{self.destination}: {self.requirement}"

    def clean(self):
        if bool(self.certificates) == bool(self.field):
            raise ValidationError(_("Give either certificates or a required field."))
        unknown = set(self.certificates) - set(Certificate.Kind.values)
        if unknown:
            raise ValidationError(
                {"certificates": _("Unknown certificate kind: %s") % ", ".join(sorted(unknown))}
            )
        sku_fields = {f.name for f in Sku._meta.get_fields()} | {"dimensions", "name_ja"}
        if self.field and self.field not in sku_fields:
            raise ValidationError({"field": _("Unknown SKU field.")})
        flags = {"has_battery", "is_liquid", "is_powder", "is_electrical", "is_fragile"} | set(
            Sku.Category.values
        )
        unknown_conditions = set(self.applies_when) - flags
        if unknown_conditions:
            raise ValidationError(
                {"applies_when": _("Unknown flag or category: %s") % ", ".join(sorted(unknown_conditions))}
            )


class SkuImportJob(models.Model):
    """One SKU catalog upload, imported by a worker with progress, all or nothing (SPEC §4, §13;
    issue 10): the file, the status, how far it got, and every problem (row, column, reason)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused")

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="sku_import_jobs", verbose_name=_("seller")
    )
    file = models.FileField(_("file"), upload_to="sku-imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    created = models.PositiveIntegerField(_("SKUs created"), default=0)
    updated = models.PositiveIntegerField(_("SKUs updated"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("SKU import")
        verbose_name_plural = _("SKU imports")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))
