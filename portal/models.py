"""Accounts and tenancy: users, seller companies, their logins and invitations (SPEC §1); operators,
warehouses, service lines and the sellers' ledger aliases (SPEC §3, §6)."""

import hashlib
import secrets
from datetime import timedelta

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Country, Currency, Language


class EmailUserManager(UserManager):
    """Users log in with their email address; there is no separate username."""

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A login: a seller's user or an ops staff member (is_staff, groups ops/finance)."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class Seller(models.Model):
    """A seller company: the tenant. All of its data is seen only by its own users."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    code = models.SlugField(_("seller code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, default=Country.CN)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    auto_send_invoices = models.BooleanField(
        _("email invoices when issued"),
        default=False,
        db_default=False,
        help_text=_("Each invoice is emailed to the billing contacts as soon as it is issued."),
    )
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    upload_quota_bytes = models.PositiveBigIntegerField(
        _("upload quota (bytes)"),
        null=True,
        blank=True,
        help_text=_("Stored upload bytes allowed; empty: the default (SELLER_UPLOAD_QUOTA_BYTES)."),
    )

    class Meta:
        verbose_name = _("seller")
        verbose_name_plural = _("sellers")
        ordering = ["name"]
        constraints = [  # codes are matched case-insensitively in ledgers (SPEC §6)
            models.UniqueConstraint(
                Lower("code"),
                name="seller_code_unique_ci",
                violation_error_message=_("A seller with this code already exists."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def main_billing_email(self) -> str:
        """The first billing contact's address (printed on the seller's documents), or ``""``."""
        first = self.billing_contacts.order_by("created_at", "pk").values_list("email", flat=True).first()
        return first or ""


class BillingContact(models.Model):
    """Someone who receives the seller's invoices by email (SPEC §9 Send, §13 Account), in their language.
    A seller keeps at least one (``portal.services`` refuses to remove the last)."""

    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="billing_contacts", verbose_name=_("seller")
    )
    email = models.EmailField(_("email address"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("billing contact")
        verbose_name_plural = _("billing contacts")
        ordering = ["seller", "email"]
        constraints = [
            models.UniqueConstraint(
                "seller",
                Lower("email"),
                name="billing_contact_email_once_per_seller",
                violation_error_message=_("This address is already a billing contact."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class SellerUser(models.Model):
    """A user's membership of one seller, with a role."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")
        FINANCE = "finance", _("Finance")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
        limit_choices_to={"is_staff": False, "is_superuser": False},  # a staff login never joins a seller
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="members", verbose_name=_("seller")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("seller user")
        verbose_name_plural = _("seller users")
        ordering = ["seller", "user__email"]

    def __str__(self) -> str:
        return f"{self.user.email} @ {self.seller.code} ({self.role})"


def new_invitation_token() -> str:
    """A fresh invitation token: sent in the link, never stored (only its hash is)."""
    return secrets.token_urlsafe(32)


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_expiry(now=None):
    return (now or timezone.now()) + timedelta(days=settings.INVITATION_VALID_DAYS)


class Invitation(models.Model):
    """An owner's invitation of a colleague by email; accepted through a one-time link.

    Only the SHA-256 of the link's token is stored, so nobody who reads the table (or admin) can use it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("seller")
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(
        _("role"), max_length=10, choices=SellerUser.Role.choices, default=SellerUser.Role.STAFF
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=invitation_expiry)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "email"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.seller.code}"

    def is_usable(self, now=None) -> bool:
        return self.status == self.Status.PENDING and (now or timezone.now()) < self.expires_at


# Operators, warehouses, their service lines and the sellers' names in warehouse ledgers (SPEC §3, §6):
# the base every other app builds on. They lived in ``inventory`` first; their tables keep that name.


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
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True, db_default="")
    invoice_registration_number = models.CharField(
        _("qualified invoice registration number"),
        max_length=14,
        blank=True,
        validators=[
            RegexValidator(
                r"^T[0-9]{13}\Z",
                _("Enter T followed by 13 digits, e.g. T1234567890123."),
                code="invalid_invoice_registration_number",
            )
        ],
        help_text=_("Japan's qualified invoice system: T followed by 13 digits, printed on JPY statements."),
        db_default="",
    )
    bank_name = models.CharField(_("bank name"), max_length=200, blank=True, db_default="")
    bank_account_name = models.CharField(_("account name"), max_length=200, blank=True, db_default="")
    bank_account_number = models.CharField(_("account number"), max_length=60, blank=True, db_default="")
    bank_swift = models.CharField(
        _("SWIFT / BIC"),
        max_length=11,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?\Z",
                _("Enter a SWIFT / BIC code of 8 or 11 capital letters and digits."),
                code="invalid_swift",
            )
        ],
        db_default="",
    )
    bank_details = models.TextField(
        _("other bank details"),
        blank=True,
        help_text=_("Branch, address, routing code: printed as written."),
        db_default="",
    )
    dispute_window_days = models.PositiveSmallIntegerField(
        _("dispute window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days after issue during which a seller may dispute an invoice line (SPEC §10)."),
        db_default=30,
    )

    class Meta:
        db_table = "inventory_operator"  # the table of the model's first home, kept when it moved here
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
        db_table = "inventory_warehouse"  # the table of the model's first home, kept when it moved here
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
        db_table = "inventory_serviceline"  # the table of the model's first home, kept when it moved here
        verbose_name = _("service line")
        verbose_name_plural = _("service lines")
        ordering = ["warehouse", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="service_line_code_per_warehouse")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code} / {self.name}"


class SellerAlias(models.Model):
    """A name a warehouse's system gives a seller (its store name, such as ``123旗舰店``): ledger rows of that
    warehouse naming it belong to the seller. Aliases and seller codes share one case-insensitive namespace
    (SPEC §6): a seller's display name never matches a row, an alias does, and only at its warehouse."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="seller_aliases", verbose_name=_("warehouse")
    )
    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="ledger_aliases", verbose_name=_("seller")
    )
    alias = models.CharField(
        _("alias"),
        max_length=200,
        help_text=_("The seller's name in this warehouse's ledgers (the 卖家nick column), e.g. 123旗舰店."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        db_table = "inventory_selleralias"  # the table of the model's first home, kept when it moved here
        verbose_name = _("seller alias")
        verbose_name_plural = _("seller aliases")
        ordering = ["warehouse", "alias"]
        constraints = [
            models.UniqueConstraint(
                "warehouse",
                Lower("alias"),
                name="seller_alias_unique_per_warehouse",
                violation_error_message=_(
                    "This warehouse already has this alias (letter case does not count)."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.alias} → {self.seller.code}" if self.seller_id else self.alias

    def clean(self) -> None:
        """An alias is never a seller code (case-insensitive). Takes the namespace lock, so the check holds
        until the transaction that saves the alias ends."""
        from portal import namespace

        self.alias = (self.alias or "").strip()
        if not self.alias:
            return
        namespace.lock()
        seller = Seller.objects.filter(code__iexact=self.alias).first()
        if seller is not None:
            raise ValidationError(
                {
                    "alias": _(
                        "“%(alias)s” is the code of seller %(seller)s; "
                        "an alias can never equal a seller code."
                    )
                    % {"alias": self.alias, "seller": seller.name}
                }
            )


class AuditEvent(models.Model):
    """The project's one audit trail (issue 12): an append-only record of a state change: who (a user, or a
    task), when, what was done to which object, with the details. Written through ``portal.audit.record``;
    never changed or deleted (the model refuses, and on PostgreSQL a trigger refuses a raw UPDATE or DELETE).
    """

    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)  # "billing.invoice"
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    seller = models.ForeignKey(
        "portal.Seller",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("seller"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_event_by_object")]
        # Append-only on PostgreSQL too: a raw UPDATE or DELETE is refused (nothing is installed on SQLite).
        triggers = [
            pgtrigger.Protect(name="audit_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events cannot be deleted."))
