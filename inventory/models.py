"""SKUs and certificates, compliance rules, inbound orders, stock, ledgers, jobs (SPEC §3–§6).
Operators, warehouses and service lines are base models (``portal.models``)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Country, Currency
from portal.models import ServiceLine, Warehouse


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


class InboundOrder(models.Model):
    """An inbound replenishment order: one seller's stock sent to one warehouse (SPEC §5)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_TRANSIT = "in_transit", _("In transit")
        EXPORT_CLEARED = "export_cleared", _("Export cleared")
        IMPORT_CLEARED = "import_cleared", _("Import cleared")
        RECEIVING = "receiving", _("Receiving")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        ON_HOLD = "on_hold", _("On hold")

    class TradeTerm(models.TextChoices):
        DDP = "DDP", "DDP"
        DAP = "DAP", "DDU / DAP"
        EXW = "EXW", "EXW"

    class Mode(models.TextChoices):
        AIR_EXPRESS = "air_express", _("Air express")
        SEA_LCL = "sea_lcl", _("Sea LCL")
        SEA_FCL = "sea_fcl", _("Sea FCL")
        COURIER = "courier", _("Courier")
        RAIL = "rail", _("Rail")

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="inbound_orders", verbose_name=_("seller")
    )
    number = models.CharField(_("order number"), max_length=24, unique=True)
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        related_name="inbound_orders",
        verbose_name=_("destination warehouse"),
    )
    trade_term = models.CharField(
        _("trade term"), max_length=3, choices=TradeTerm.choices, default=TradeTerm.DDP
    )
    shipping_mode = models.CharField(
        _("first-leg mode"), max_length=12, choices=Mode.choices, default=Mode.SEA_LCL
    )
    insured = models.BooleanField(_("cargo insurance"), default=False)
    expected_ship_date = models.DateField(_("expected ship date"), null=True, blank=True)
    expected_arrival_date = models.DateField(_("expected arrival date"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    held_state = models.CharField(_("state before hold"), max_length=16, choices=State.choices, blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=300, blank=True)
    carrier = models.CharField(_("carrier"), max_length=80, blank=True)
    tracking_number = models.CharField(_("tracking or B/L number"), max_length=80, blank=True)
    etd = models.DateField(_("ETD"), null=True, blank=True)
    eta = models.DateField(_("ETA"), null=True, blank=True)
    export_declaration_no = models.CharField(_("export declaration number"), max_length=80, blank=True)
    import_declaration_no = models.CharField(_("import declaration number"), max_length=80, blank=True)
    duties_paid = models.DecimalField(
        _("duties and taxes paid"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    duties_currency = models.CharField(
        _("duties currency"), max_length=3, choices=Currency.choices, blank=True
    )
    estimate = models.JSONField(_("estimate"), default=dict, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("inbound order")
        verbose_name_plural = _("inbound orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class InboundCarton(models.Model):
    """One carton of an order; its id is printed as a barcode on the carton label and scanned at receiving."""

    order = models.ForeignKey(
        InboundOrder, on_delete=models.CASCADE, related_name="cartons", verbose_name=_("order")
    )
    index = models.PositiveIntegerField(_("carton no."))
    carton_id = models.CharField(_("carton id"), max_length=40, unique=True)
    length_mm = models.PositiveIntegerField(_("length (mm)"), validators=[MinValueValidator(1)])
    width_mm = models.PositiveIntegerField(_("width (mm)"), validators=[MinValueValidator(1)])
    height_mm = models.PositiveIntegerField(_("height (mm)"), validators=[MinValueValidator(1)])
    gross_weight_kg = models.DecimalField(
        _("gross weight (kg)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    seller_lookup = "order__seller"

    class Meta:
        verbose_name = _("carton")
        verbose_name_plural = _("cartons")
        ordering = ["order", "index"]
        constraints = [models.UniqueConstraint(fields=["order", "index"], name="carton_index_per_order")]

    def __str__(self) -> str:
        return self.carton_id


class InboundLine(models.Model):
    """Units of one SKU in one carton, and what receiving counted."""

    carton = models.ForeignKey(
        InboundCarton, on_delete=models.CASCADE, related_name="lines", verbose_name=_("carton")
    )
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="inbound_lines", verbose_name=_("SKU")
    )
    units = models.PositiveIntegerField(_("units"), validators=[MinValueValidator(1)])
    batch_no = models.CharField(_("batch no."), max_length=40, blank=True)
    received_units = models.PositiveIntegerField(_("received"), null=True, blank=True)
    damaged_units = models.PositiveIntegerField(_("damaged"), null=True, blank=True)
    # What the documents print of the SKU, copied at submission so a later SKU edit cannot rewrite a
    # submitted order's packing list, labels or commercial invoice (issue 10, finding 7).
    snapshot_at = models.DateTimeField(_("SKU data copied"), null=True, blank=True, editable=False)
    sku_code = models.CharField(_("SKU code"), max_length=64, blank=True, editable=False)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True, editable=False)
    name_en = models.CharField(_("English name"), max_length=200, blank=True, editable=False)
    name_ja = models.CharField(_("Japanese name"), max_length=200, blank=True, editable=False)
    material = models.CharField(_("material"), max_length=200, blank=True, editable=False)
    hs_code = models.CharField(_("HS code"), max_length=10, blank=True, editable=False)
    declared_value = models.DecimalField(
        _("declared value"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    declared_currency = models.CharField(
        _("declared currency"), max_length=3, choices=Currency.choices, blank=True, editable=False
    )
    net_weight_g = models.DecimalField(
        _("net weight (g)"), max_digits=10, decimal_places=1, null=True, blank=True, editable=False
    )
    length_mm = models.PositiveIntegerField(_("length (mm)"), null=True, blank=True, editable=False)
    width_mm = models.PositiveIntegerField(_("width (mm)"), null=True, blank=True, editable=False)
    height_mm = models.PositiveIntegerField(_("height (mm)"), null=True, blank=True, editable=False)
    origin_country = models.CharField(
        _("country of origin"), max_length=2, choices=Country.choices, blank=True, editable=False
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, editable=False)
    fnsku = models.CharField(_("FNSKU"), max_length=20, blank=True, editable=False)

    seller_lookup = "carton__order__seller"

    SNAPSHOT_FIELDS = (
        "code",
        "name_zh",
        "name_en",
        "name_ja",
        "material",
        "hs_code",
        "declared_value",
        "declared_currency",
        "net_weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "barcode",
        "fnsku",
    )  # SKU fields copied (``code`` into ``sku_code``)

    class Meta:
        verbose_name = _("carton line")
        verbose_name_plural = _("carton lines")
        ordering = ["carton", "id"]

    def __str__(self) -> str:
        return f"{self.carton} · {self.sku.code} × {self.units}"

    @property
    def counted(self) -> bool:
        return self.received_units is not None

    @property
    def missing_units(self) -> int:
        """Units sent but neither received in good order nor damaged (negative: more arrived than sent)."""
        return self.units - (self.received_units or 0) - (self.damaged_units or 0)


class OrderEvent(models.Model):
    """One step of an order's timeline: who moved it from which state to which, when and why."""

    order = models.ForeignKey(
        InboundOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    from_state = models.CharField(_("from"), max_length=16, choices=InboundOrder.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=InboundOrder.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    actor_role = models.CharField(_("role"), max_length=10)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    seller_lookup = "order__seller"

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["order", "at", "id"]

    def __str__(self) -> str:
        return f"{self.order}: {self.from_state or '—'} → {self.to_state}"


class OrderAttachment(models.Model):
    """A document ops attach to an order at a step (bill of lading, customs declaration, inspection)."""

    order = models.ForeignKey(
        InboundOrder, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("order")
    )
    state = models.CharField(_("step"), max_length=16, choices=InboundOrder.State.choices)
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to="order-documents/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    seller_lookup = "order__seller"

    class Meta:
        verbose_name = _("order document")
        verbose_name_plural = _("order documents")
        ordering = ["order", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.order}: {self.title}"


class ReceivingDiscrepancy(models.Model):
    """A difference found at receiving (over, short, damaged): shown to the seller, feeds disputes (§10)."""

    class Kind(models.TextChoices):
        OVER = "over", _("Over")
        SHORT = "short", _("Short")
        DAMAGED = "damaged", _("Damaged")

    order = models.ForeignKey(
        InboundOrder, on_delete=models.CASCADE, related_name="discrepancies", verbose_name=_("order")
    )
    line = models.ForeignKey(
        InboundLine, on_delete=models.CASCADE, related_name="discrepancies", verbose_name=_("carton line")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    units = models.PositiveIntegerField(_("units"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    seller_lookup = "order__seller"

    class Meta:
        verbose_name = _("receiving discrepancy")
        verbose_name_plural = _("receiving discrepancies")
        ordering = ["order", "line", "kind"]
        constraints = [models.UniqueConstraint(fields=["line", "kind"], name="one_discrepancy_per_line_kind")]

    def __str__(self) -> str:
        return f"{self.order} {self.line.sku.code}: {self.kind} {self.units}"


class StockLevel(models.Model):
    """Available units of a SKU in a warehouse; received units are added when an order completes."""

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("seller")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("warehouse")
    )
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("SKU"))
    available_units = models.IntegerField(_("available units"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["seller", "warehouse", "sku"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "sku"], name="one_stock_level_per_sku")]

    def __str__(self) -> str:
        return f"{self.sku.code} @ {self.warehouse.code}: {self.available_units}"


class LedgerFile(models.Model):
    """One uploaded ledger file (SPEC §6): kept for audit, stored all or nothing, the same content once."""

    class Kind(models.TextChoices):
        STOCK = "stock", _("Stock ledger")
        OUTBOUND = "outbound", _("Outbound parcels")
        VAS = "vas", _("Value-added services")
        TAX = "tax", _("Customs taxes")
        INBOUND = "inbound", _("Inbound weight")
        RECEIVING = "receiving", _("Receiving services")

    class Source(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse (billing source)")
        SELLER = "seller", _("Seller (own records)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking rows")
        STORING = "storing", _("Storing rows")
        STORED = "stored", _("Stored")
        FAILED = "failed", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    seller = models.ForeignKey(
        "portal.Seller",
        on_delete=models.CASCADE,
        related_name="ledger_files",
        null=True,
        blank=True,
        verbose_name=_("seller"),
        help_text=_("Empty for an ops upload whose rows name several sellers."),
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="ledger_files", verbose_name=_("warehouse")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    file = models.FileField(_("file"), upload_to="ledgers/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64)
    dedupe_key = models.CharField(
        max_length=160,
        editable=False,
        help_text="seller:warehouse:kind:source:sha256 — the same file is stored once (a refused or "
        "withdrawn one may be uploaded again)",
    )
    error_file = models.FileField(_("error report"), upload_to="ledger-errors/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_stored = models.PositiveIntegerField(_("rows stored"), default=0)
    error_count = models.PositiveIntegerField(_("bad rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    period_start = models.DateField(_("first day"), null=True, blank=True)
    period_end = models.DateField(_("last day"), null=True, blank=True)
    file_format = models.CharField(_("format"), max_length=8, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    replaces = models.ManyToManyField(
        "self",
        through="LedgerReplacement",
        symmetrical=False,
        related_name="replaced_by",
        blank=True,
        verbose_name=_("replaces"),
    )

    # A refused or withdrawn upload releases its content: the same file may be uploaded again (SPEC §6).
    RELEASED = (Status.FAILED, Status.WITHDRAWN)

    class Meta:
        verbose_name = _("ledger file")
        verbose_name_plural = _("ledger files")
        ordering = ["-uploaded_at"]
        permissions = [("withdraw_ledgerfile", "Can withdraw a stored ledger upload")]
        constraints = [
            # The same content once among the uploads that are not refused or withdrawn (its seller part
            # may be empty, so the key is one column): a refused file can be tried again.
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~models.Q(status__in=["failed", "withdrawn"]),
                name="ledger_file_content_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_kind_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status in (self.Status.STORED, self.Status.WITHDRAWN):
            return 100
        if not self.row_count:
            return 0
        done = self.rows_checked + self.rows_stored
        return min(99, int(100 * done / (2 * self.row_count)))


class LedgerReplacement(models.Model):
    """A newer upload took rows of an older one out of force (same seller, warehouse, kind, source and days);
    both files stay for audit (SPEC §6)."""

    new_file = models.ForeignKey(
        LedgerFile, on_delete=models.CASCADE, related_name="replacement_records", verbose_name=_("upload")
    )
    old_file = models.ForeignKey(
        LedgerFile,
        on_delete=models.CASCADE,
        related_name="replaced_records",
        verbose_name=_("replaced upload"),
    )
    rows = models.PositiveIntegerField(_("rows replaced"))
    replaced_at = models.DateTimeField(_("replaced"))

    class Meta:
        verbose_name = _("ledger replacement")
        verbose_name_plural = _("ledger replacements")
        ordering = ["-replaced_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["new_file", "old_file"], name="ledger_replacement_once")
        ]

    def __str__(self) -> str:
        return f"#{self.new_file_id} replaces #{self.old_file_id} ({self.rows} rows)"


class ClosedPeriod(models.Model):
    """A month of a seller at a warehouse whose invoice is issued (SPEC §6 "Closed periods"): no
    warehouse-source row dated in it can be added, replaced or withdrawn. Billing writes it through
    ``close_ledger_period`` when it issues the invoice of a seller, service line and month.

    With a ``service_line`` it closes that line's rows only; without one (rows stored before rows had a
    line, or a whole-warehouse close) every line of the seller at the warehouse."""

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.PROTECT, related_name="closed_periods", verbose_name=_("seller")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="closed_periods", verbose_name=_("warehouse")
    )
    service_line = models.ForeignKey(
        ServiceLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closed_periods",
        verbose_name=_("service line"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    closed_at = models.DateTimeField(_("closed"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("E.g. the invoice number.")
    )

    class Meta:
        verbose_name = _("closed ledger period")
        verbose_name_plural = _("closed ledger periods")
        ordering = ["-month", "seller"]
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "warehouse", "service_line", "month"],
                condition=models.Q(service_line__isnull=False),
                name="closed_period_once_per_line",
            ),
            models.UniqueConstraint(
                fields=["seller", "warehouse", "month"],
                condition=models.Q(service_line__isnull=True),
                name="closed_period_once_per_warehouse",
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="closed_period_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.seller} @ {self.warehouse.code} {self.month:%Y-%m}"


class LedgerRowBase(models.Model):
    """What every stored ledger row has: its file, seller, warehouse, source, row number and whether a newer
    upload for the same dates superseded it.

    The importer resolves file, seller and warehouse of every row before it stores any (SPEC §6), so the
    foreign keys carry no database constraint: a deferred check of three keys per row would double the
    time of a million-row COPY. Deletes still cascade through Django.
    """

    ledger_file = models.ForeignKey(
        LedgerFile, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )  # the per-kind (seller, warehouse, day) index serves
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    # The service line the row is billed on (SPEC §6): the row's ``service_line`` column, or implied by the
    # seller's one contract at the warehouse. Empty only on rows stored before rows had one.
    service_line = models.ForeignKey(
        ServiceLine,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    source = models.CharField(max_length=10, choices=LedgerFile.Source.choices)
    row_number = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    # The newest upload whose days cover this row (it took the row out of force); cleared when this row's
    # own upload is withdrawn. Withdrawing that upload puts the row back in force (SPEC §6).
    replaced_by = models.ForeignKey(
        LedgerFile,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.ledger_file_id}:{self.row_number}"


def rows_page_index(name: str, day: str, *leading: str) -> models.Index:
    """The seller's rows in force in the rows page's order (newest day first, then file order): a page
    is read from where the last one ended, whatever the rows stored (issue 11)."""
    fields = ["seller", *leading, f"-{day}", "row_number", "id"]
    return models.Index(fields=fields, name=name, condition=models.Q(is_current=True))


def replaced_rows_index(name: str) -> models.Index:
    """The rows an upload replaced, found when it is withdrawn; partial, so that loading new rows (all
    with no ``replaced_by``) does not write to it."""
    return models.Index(fields=["replaced_by"], name=name, condition=models.Q(replaced_by__isnull=False))


class StockLedgerRow(LedgerRowBase):
    business_date = models.DateField()
    item_id = models.CharField(max_length=64)
    length_mm = models.DecimalField(max_digits=12, decimal_places=3)
    height_mm = models.DecimalField(max_digits=12, decimal_places=3)
    width_mm = models.DecimalField(max_digits=12, decimal_places=3)
    units_per_carton = models.PositiveIntegerField(default=1)
    volume_mm3 = models.DecimalField(max_digits=20, decimal_places=3, null=True)
    total_volume_m3 = models.DecimalField(max_digits=16, decimal_places=6, null=True)
    daily_volume_m3 = models.DecimalField(max_digits=20, decimal_places=9)
    volume_mismatch = models.BooleanField(default=False)
    sales_qty = models.PositiveIntegerField()
    stock_qty = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["seller", "warehouse", "business_date"], name="stock_row_by_day"),
            replaced_rows_index("stock_row_replaced"),
            rows_page_index("stock_rows_page", "business_date"),
            # A seller's rows of one item (search, sort by item): the natural key's index serves them
            # (``stock_row_natural_key``: seller, item, day, ... over the rows in force; migration 0015).
        ]


class OutboundParcelRow(LedgerRowBase):
    order_no = models.CharField(max_length=64)
    ship_date = models.DateField()
    weight_kg = models.DecimalField(max_digits=12, decimal_places=3)
    sku_kinds = models.PositiveIntegerField()
    units = models.PositiveIntegerField(null=True)
    carrier = models.CharField(max_length=64, blank=True)
    destination = models.CharField(max_length=64, blank=True)
    length_mm = models.DecimalField(max_digits=12, decimal_places=3, null=True)
    width_mm = models.DecimalField(max_digits=12, decimal_places=3, null=True)
    height_mm = models.DecimalField(max_digits=12, decimal_places=3, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["seller", "warehouse", "ship_date"], name="parcel_row_by_day"),
            replaced_rows_index("parcel_row_replaced"),
            rows_page_index("parcel_rows_page", "ship_date"),
        ]


class VasRow(LedgerRowBase):
    date = models.DateField()
    service_code = models.CharField(max_length=40)
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    reference = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["seller", "warehouse", "date"], name="vas_row_by_day"),
            replaced_rows_index("vas_row_replaced"),
            rows_page_index("vas_rows_page", "date"),
        ]


class CustomsTaxRow(LedgerRowBase):
    order_no = models.CharField(max_length=64)
    date = models.DateField()
    dutiable_value = models.DecimalField(max_digits=14, decimal_places=2)
    tariff_rate = models.DecimalField(max_digits=7, decimal_places=5)
    consumption_tax_rate = models.DecimalField(max_digits=7, decimal_places=5)
    vat_rate = models.DecimalField(max_digits=7, decimal_places=5)

    class Meta:
        indexes = [
            models.Index(fields=["seller", "warehouse", "date"], name="tax_row_by_day"),
            replaced_rows_index("tax_row_replaced"),
            rows_page_index("tax_rows_page", "date"),
        ]


class InboundWeightRow(LedgerRowBase):
    date = models.DateField()
    line = models.CharField(max_length=12)
    packages = models.PositiveIntegerField()
    weight_kg = models.DecimalField(max_digits=14, decimal_places=3)
    reference = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["seller", "warehouse", "date"], name="inbound_row_by_day"),
            replaced_rows_index("inbound_row_replaced"),
            rows_page_index("inbound_rows_page", "date"),
        ]


class ReceivingServiceRow(LedgerRowBase):
    date = models.DateField()
    service = models.CharField(max_length=20)
    units = models.PositiveIntegerField(null=True)
    unit_value_cny = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    volume_m3 = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    freight_rate_per_kg = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    weight_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    reference = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["seller", "warehouse", "date"], name="receiving_row_by_day"),
            replaced_rows_index("receiving_row_replaced"),
            rows_page_index("receiving_rows_page", "date"),
        ]


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


def document_upload_path(instance, filename: str) -> str:
    return f"order-documents/generated/{instance.order_id}/{filename}"


class OrderDocument(models.Model):
    """A rendered document of an inbound order (packing list, carton labels, commercial invoice), one per
    kind, language and content version: rendered once on a worker, then served as a file (issue 10)."""

    class Kind(models.TextChoices):
        PACKING_LIST = "packing-list", _("Packing list")
        LABELS = "labels", _("Carton labels")
        COMMERCIAL_INVOICE = "commercial-invoice", _("Commercial invoice")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(
        InboundOrder, on_delete=models.CASCADE, related_name="documents", verbose_name=_("order")
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=10)
    version = models.CharField(_("content version"), max_length=64, help_text=_("Hash of what it prints."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    pages_done = models.PositiveIntegerField(_("pages rendered"), default=0)
    pages_total = models.PositiveIntegerField(_("pages"), default=0)
    file = models.FileField(_("file"), upload_to=document_upload_path, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    seller_lookup = "order__seller"

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["order", "kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "language", "version"], name="one_document_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.get_kind_display()} ({self.language})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.pages_total:
            return 0
        return min(99, int(100 * self.pages_done / self.pages_total))

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)

    @property
    def download_name(self) -> str:
        return f"{self.order.number}-{self.kind}.pdf"


def export_upload_path(instance, filename: str) -> str:
    return f"exports/{instance.seller_id}/{filename}"


class ExportJob(models.Model):
    """An export too large to build inside a request (ledger rows, SKUs): written to a file on a worker,
    with progress, then downloaded by its seller (issue 10)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Writing rows")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("seller")
    )
    kind = models.CharField(_("export"), max_length=40, help_text=_("ledger:<kind> or skus"))
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_path, blank=True)
    file_name = models.CharField(_("file name"), max_length=120, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.file_format})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.row_count:
            return 0
        return min(99, int(100 * self.rows_done / self.row_count))

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
