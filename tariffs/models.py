"""Rate cards as data: a card, its versions, and each version's fee rules (SPEC §7, §8)."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.choices import Currency
from tariffs.rules import KINDS, RuleError, get_kind, normalize_params, validate_section

# The ledger kinds a card can bill or list as deliberately not billed (SPEC §6, §9).
LEDGER_KINDS = ("stock", "outbound", "vas", "tax", "inbound", "receiving")


def is_month_start(day: date) -> bool:
    return day.day == 1


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def month_rule_errors(start: date | None, end: date | None, *, start_field: str, end_field: str) -> dict:
    """SPEC §3/§9: a range starts on the 1st of a month and ends, if it does, on a month's last day."""
    errors: dict[str, str] = {}
    if start and not is_month_start(start):
        errors[start_field] = _("Must be the first day of a month (e.g. %(day)s).") % {
            "day": start.replace(day=1).isoformat()
        }
    if end and not is_month_end(end):
        errors[end_field] = _("Must be the last day of a month (or empty for no end).")
    if start and end and end < start:
        errors[end_field] = _("The end date is before the start date.")
    return errors


def ranges_overlap(queryset, start: date, end: date | None, *, start_field: str, end_field: str):
    """The rows of ``queryset`` whose [start, end] range (an empty end: open) meets [start, end]."""
    rows = queryset.filter(
        models.Q(**{f"{end_field}__isnull": True}) | models.Q(**{f"{end_field}__gte": start})
    )
    if end is not None:
        rows = rows.filter(**{f"{start_field}__lte": end})
    return rows


def describe_range(start: date, end: date | None) -> str:
    return f"{start.isoformat()} – {end.isoformat() if end else _('open-ended')}"


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
    names = models.JSONField(
        _("names in other languages"),
        default=dict,
        blank=True,
        help_text=_('The name per language code, e.g. {"zh-hans": "菜鸟保税", "ja": "…", "vi": "…"}.'),
    )

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
        if not isinstance(self.names, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.names.items()
        ):
            raise ValidationError({"names": _("Give the names as {language code: name}.")})
        unknown = set(self.customer_classes or []) - set(CustomerClass.values)
        if unknown:
            raise ValidationError(
                {"customer_classes": _("Unknown customer class: %s") % ", ".join(sorted(unknown))}
            )

    def localized_name(self, language: str | None = None) -> str:
        """The card's name in ``language`` (the active one by default), else its own ``name`` (issue 12)."""
        language = (language or get_language() or "").lower()
        names = self.names if isinstance(self.names, dict) else {}
        for code in (language, language.split("-")[0]):
            if code and names.get(code):
                return str(names[code])
        return self.name

    def version_for(self, first_day, last_day):
        """The version in force over a period (versions never overlap, so at most one; SPEC §9)."""
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
    not_billed_kinds = models.JSONField(
        _("ledger kinds not billed"),
        default=list,
        blank=True,
        help_text=_(
            "Ledger kinds this version deliberately does not bill (e.g. stock for a card without "
            "storage fees): their rows are reported as not billed instead of stopping the invoice. "
            "Any of: stock, outbound, vas, tax, inbound, receiving."
        ),
    )
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

    def save(self, *args, **kwargs):
        """Refuse changes to a frozen version (SPEC §7): an issued invoice keeps pointing at it."""
        if self.pk:
            stored = RateCardVersion.objects.filter(pk=self.pk).first()
            if stored is not None and stored.is_frozen:
                changed = [f for f in self.FROZEN_FIELDS if getattr(stored, f) != getattr(self, f)]
                reopened = stored.valid_to is not None and self.valid_to != stored.valid_to
                if changed or reopened or self.frozen_at != stored.frozen_at:
                    raise ValidationError(
                        _("Version %(version)s is frozen: an issued invoice used it. Edit a new version.")
                        % {"version": stored}
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise ValidationError(
                _("Version %(version)s is frozen: an issued invoice used it. Edit a new version.")
                % {"version": self}
            )
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    # Fields a frozen version keeps; only an open end may still be closed (a new version follows it).
    FROZEN_FIELDS = ("rate_card_id", "version", "valid_from", "not_billed_kinds")

    def clean(self):
        errors = month_rule_errors(
            self.valid_from, self.valid_to, start_field="valid_from", end_field="valid_to"
        )
        try:
            self.not_billed_kinds = clean_not_billed_kinds(self.not_billed_kinds)
        except ValidationError as exc:
            errors["not_billed_kinds"] = exc.messages[0]
        else:
            priced = self.priced_kinds() & set(self.not_billed_kinds) if self.pk else set()
            if priced:
                errors["not_billed_kinds"] = _("This version has rules for %(kinds)s: it bills them.") % {
                    "kinds": ", ".join(sorted(priced))
                }
        if errors:
            raise ValidationError(errors)
        if self.rate_card_id:
            other = self.overlapping().first()
            if other is not None:
                raise ValidationError(
                    {
                        "valid_from": _(
                            "Overlaps version %(other)s (%(range)s): versions of a rate card never "
                            "overlap, so exactly one prices a month."
                        )
                        % {"other": other.version, "range": describe_range(other.valid_from, other.valid_to)}
                    }
                )

    def overlapping(self):
        """The card's other versions whose validity meets this one's."""
        others = RateCardVersion.objects.filter(rate_card_id=self.rate_card_id).exclude(pk=self.pk)
        return ranges_overlap(
            others, self.valid_from, self.valid_to, start_field="valid_from", end_field="valid_to"
        )

    def priced_kinds(self) -> set[str]:
        """The ledger kinds this version's rules bill."""
        return {get_kind(kind).ledger for kind in self.rules.values_list("kind", flat=True)} - {None}


def clean_not_billed_kinds(value) -> list[str]:
    """A list of distinct ledger kinds, in the ledgers' order; a clear error naming an unknown one."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValidationError(_('Give a list of ledger kinds, e.g. ["stock"].'))
    unknown = sorted(set(value) - set(LEDGER_KINDS))
    if unknown:
        raise ValidationError(
            _("Unknown ledger kind: %(unknown)s (known: %(known)s).")
            % {"unknown": ", ".join(unknown), "known": ", ".join(LEDGER_KINDS)}
        )
    return [kind for kind in LEDGER_KINDS if kind in value]


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
        ledger = get_kind(self.kind).ledger
        if self.version_id and ledger in (self.version.not_billed_kinds or []):
            raise ValidationError(
                {
                    "kind": _(
                        "Version %(version)s lists the %(ledger)s ledger as not billed: remove it from "
                        "that list before adding a rule for it."
                    )
                    % {"version": self.version, "ledger": ledger}
                }
            )


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
    starts_on = models.DateField(_("starts on"), help_text=_("The first day of a month."))
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("The last day of a month; empty for no end.")
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("Days from an invoice's issue date to its due date."),
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["seller", "service_line", "starts_on"]

    def __str__(self) -> str:
        return f"{self.seller.code} · {self.service_line} · {self.rate_card}"

    def clean(self):
        errors = month_rule_errors(self.starts_on, self.ends_on, start_field="starts_on", end_field="ends_on")
        classes = self.rate_card.customer_classes if self.rate_card_id else []
        if classes and self.customer_class not in classes:
            errors["customer_class"] = _("This rate card has no prices for that customer class.")
        if errors:
            raise ValidationError(errors)
        self.check_no_overlap()

    def overlapping(self):
        """The same seller's other contracts on this service line whose dates meet this one's."""
        others = Contract.objects.filter(
            seller_id=self.seller_id, service_line_id=self.service_line_id
        ).exclude(pk=self.pk)
        return ranges_overlap(
            others, self.starts_on, self.ends_on, start_field="starts_on", end_field="ends_on"
        )

    def check_no_overlap(self) -> None:
        """SPEC §3: two contracts of one seller and service line never overlap."""
        if not (self.seller_id and self.service_line_id and self.starts_on):
            return
        other = self.overlapping().select_related("rate_card").first()
        if other is not None:
            raise ValidationError(
                {
                    "starts_on": _(
                        "Overlaps contract #%(id)s (%(card)s, %(range)s) of this seller on this service "
                        "line: end that one first or start this one after it."
                    )
                    % {
                        "id": other.pk,
                        "card": other.rate_card,
                        "range": describe_range(other.starts_on, other.ends_on),
                    }
                }
            )
