"""Inbound replenishment orders (SPEC §5): cartons, lines, events, attachments, receiving differences,
stock levels and the order documents."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from inventory.models.catalog import Sku
from portal.choices import Country, Currency
from portal.models import Warehouse


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
