"""Accounts and tenancy: users, seller companies, their logins and invitations (SPEC §1)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
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
    billing_email = models.EmailField(_("billing email"))
    language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
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
