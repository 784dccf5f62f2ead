"""Shared choice lists: languages, currencies, countries (SPEC §2, §3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    EN = "en", "English"
    ZH_HANS = "zh-hans", "简体中文"
    JA = "ja", "日本語"
    VI = "vi", "Tiếng Việt"


class Currency(models.TextChoices):
    CNY = "CNY", "CNY"
    JPY = "JPY", "JPY"
    VND = "VND", "VND"
    USD = "USD", "USD"


class Country(models.TextChoices):
    CN = "CN", _("China")
    HK = "HK", _("Hong Kong")
    JP = "JP", _("Japan")
    VN = "VN", _("Vietnam")
    US = "US", _("United States")
    GB = "GB", _("United Kingdom")
    DE = "DE", _("Germany")
    OTHER = "ZZ", _("Other")
