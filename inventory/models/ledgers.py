"""Ledger uploads and their rows (SPEC §6): files, replacements, closed periods, one row model per kind
(described in one place: ``inventory.ledgers.kinds``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import ServiceLine, Warehouse


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


def natural_key(name: str, *fields: str, when_given: str | None = None) -> models.UniqueConstraint:
    """SPEC §6 "Natural keys": one row in force per warehouse, source and ``fields`` (where ``when_given`` is
    not blank). A partial unique index over the rows in force; ``inventory.ledgers.kinds`` names the same
    fields, and ``inventory.ledgers.keys`` turns a clash into row errors."""
    condition = models.Q(is_current=True)
    if when_given:
        condition &= ~models.Q(**{when_given: ""})
    return models.UniqueConstraint(fields=[*fields, "warehouse", "source"], condition=condition, name=name)


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
    total_volume_m3 = models.DecimalField(max_digits=20, decimal_places=9, null=True)
    daily_volume_m3 = models.DecimalField(max_digits=20, decimal_places=9)
    volume_mismatch = models.BooleanField(default=False)
    sales_qty = models.PositiveIntegerField()
    stock_qty = models.PositiveIntegerField()

    class Meta:
        constraints = [
            natural_key("stock_row_natural_key", "seller", "item_id", "business_date", "service_line")
        ]
        indexes = [
            # No (seller, warehouse, day) index: a seller's rows in force by day are read through
            # ``stock_rows_page``, and every index costs a million-row upload about 2 s (issue 11 bench).
            replaced_rows_index("stock_row_replaced"),
            rows_page_index("stock_rows_page", "business_date"),
            # The rows whose volume disagrees with their dimensions (few): the close asks which sellers of
            # a batch have any without reading their months (``checks.sellers_with_other_findings``).
            models.Index(
                fields=["seller", "business_date"],
                name="stock_rows_volume_mismatch",
                condition=models.Q(is_current=True, volume_mismatch=True),
            ),
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
        constraints = [natural_key("outbound_row_natural_key", "order_no")]
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
        constraints = [natural_key("vas_row_natural_key", "reference", when_given="reference")]
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
        constraints = [natural_key("tax_row_natural_key", "order_no")]
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
        constraints = [natural_key("inbound_row_natural_key", "reference", when_given="reference")]
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
        constraints = [natural_key("receiving_row_natural_key", "reference", when_given="reference")]
        indexes = [
            models.Index(fields=["seller", "warehouse", "date"], name="receiving_row_by_day"),
            replaced_rows_index("receiving_row_replaced"),
            rows_page_index("receiving_rows_page", "date"),
        ]
