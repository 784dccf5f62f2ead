"""Rate cards as data: a card, its versions, and each version's fee rules (SPEC §7, §8)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Currency
from tariffs.rules import KINDS, RuleError, normalize_params, validate_section


class CustomerClass(models.TextChoices):
    REGULAR = "regular", _("Regular")
    PARTNER = "partner", _("Partner")


class Section(models.TextChoices):
    FULFILMENT = "fulfilment", _("Fulfilment")
    STORAGE = "storage", _("Storage")
    SERVICES = "services", _("Value-added and receiving services")
    PASS_THROUGH = "pass_through", _("Pass-through taxes (customs)")
    ADJUSTMENTS = "adjustments", _("Adjustments")


class RateCard(models.Model):
    """A price list; a code may exist once per currency (the VN cards come in VND and CNY)."""

    code = models.SlugField(_("code"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    name = models.CharField(_("name"), max_length=200)
    operator = models.ForeignKey(
        "portal.Operator", on_delete=models.PROTECT, related_name="rate_cards", verbose_name=_("operator")
    )
    customer_classes = models.JSONField(
        _("customer classes"), default=list, help_text=_("Customer classes this card has prices for.")
    )
    service_tax_rate = models.DecimalField(
        _("service tax rate"),
        max_digits=6,
        decimal_places=4,
        default=0,
        help_text=_("e.g. 0.10 for Japan's consumption tax; 0 for none."),
    )
    is_sample = models.BooleanField(_("sample figures"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    seller_lookup = "contracts__seller"

    class Meta:
        verbose_name = _("rate card")
        verbose_name_plural = _("rate cards")
        ordering = ["code", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["code", "currency"], name="rate_card_code_per_currency")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.currency})"

    def clean(self):
        unknown = set(self.customer_classes or []) - set(CustomerClass.values)
        if unknown:
            raise ValidationError(
                {"customer_classes": _("Unknown customer class: %s") % ", ".join(sorted(unknown))}
            )

    def version_for(self, first_day, last_day):
        """The version in force over a period: the newest one valid on its last day."""
        return (
            self.versions.filter(valid_from__lte=last_day)
            .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=first_day))
            .order_by("-version")
            .first()
        )


class RateCardVersion(models.Model):
    """One version of a card's rules; frozen once an issued invoice used it (changes make a new version)."""

    rate_card = models.ForeignKey(
        RateCard, on_delete=models.CASCADE, related_name="versions", verbose_name=_("rate card")
    )
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("rate card version")
        verbose_name_plural = _("rate card versions")
        ordering = ["rate_card", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rate_card", "version"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.rate_card} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def clean(self):
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})


class FeeRule(models.Model):
    """One rule of a version: a kind of SPEC §7 with its charge code, section and validated parameters."""

    version = models.ForeignKey(
        RateCardVersion, on_delete=models.CASCADE, related_name="rules", verbose_name=_("version")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=40, choices=[(k, k) for k in KINDS])
    charge_code = models.SlugField(_("charge code"), max_length=60)
    section = models.CharField(_("section"), max_length=20, choices=Section.choices, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    params = models.JSONField(_("parameters"), default=dict)

    class Meta:
        verbose_name = _("fee rule")
        verbose_name_plural = _("fee rules")
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "charge_code"], name="one_charge_code_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.charge_code} ({self.kind})"

    def save(self, *args, **kwargs):
        if self.version.is_frozen:
            raise ValidationError(
                _("Version %(version)s is frozen: an issued invoice used it. Edit a new version.")
                % {"version": self.version}
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.version.is_frozen:
            raise ValidationError(
                _("Version %(version)s is frozen: an issued invoice used it. Edit a new version.")
                % {"version": self.version}
            )
        return super().delete(*args, **kwargs)

    def clean(self):
        """Validate the parameters for the kind; a bad one is refused with its field named."""
        if self.kind not in KINDS:
            raise ValidationError({"kind": _("Unknown rule kind.")})
        try:
            self.params = normalize_params(self.kind, self.params or {})
        except RuleError as exc:
            raise ValidationError(
                {"params": f"{exc.field}: {exc.message}" if exc.field else exc.message}
            ) from exc
        try:
            self.section = validate_section(self.kind, self.section)
        except RuleError as exc:
            raise ValidationError({"section": exc.message}) from exc


class Contract(models.Model):
    """A seller's contract on a service line under a rate card and a customer class (SPEC §3)."""

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="contracts", verbose_name=_("seller")
    )
    service_line = models.ForeignKey(
        "portal.ServiceLine",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("service line"),
    )
    rate_card = models.ForeignKey(
        RateCard, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("rate card")
    )
    customer_class = models.CharField(
        _("customer class"), max_length=10, choices=CustomerClass.choices, default=CustomerClass.REGULAR
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["seller", "service_line"]

    def __str__(self) -> str:
        return f"{self.seller.code} · {self.service_line} · {self.rate_card}"

    def clean(self):
        classes = self.rate_card.customer_classes if self.rate_card_id else []
        if classes and self.customer_class not in classes:
            raise ValidationError(
                {"customer_class": _("This rate card has no prices for that customer class.")}
            )
