"""Seller codes and the names ledgers use for sellers share one case-insensitive namespace (SPEC §6).

Portal is the base layer and cannot import the apps that keep other names (the ledger aliases live in
``inventory``), so those apps register a "code in use" checker here in their ``AppConfig.ready()``.
Registration and the Seller admin ask ``holder_of`` before they use a code.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.db import connection
from django.utils.translation import gettext as _

# name -> checker: ``checker(value)`` says who other than a seller code holds ``value``, or None.
Checker = Callable[[str], "str | None"]
_checkers: dict[str, Checker] = {}
# Any fixed 64-bit key: serialises "is this name free?" + insert across the apps that share the namespace.
LOCK_KEY = 0x5E11E2C0DE


def register(name: str, checker: Checker) -> None:
    """Add (or replace, so ``ready()`` may run twice) the checker called ``name``."""
    _checkers[name] = checker


def lock() -> None:
    """Hold the namespace until the current transaction ends (PostgreSQL), so that a check and the insert
    after it cannot interleave with another check and insert. Call it inside ``transaction.atomic``."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def holder_of(value: str, *, seller=None) -> str | None:
    """What already holds ``value`` (case-insensitive), for a message; None when it is free.

    ``seller``: the seller whose own code this is (an edit in admin), which does not count.
    """
    from .models import Seller

    value = value.strip()
    lock()
    others = Seller.objects.filter(code__iexact=value)
    if seller is not None and seller.pk is not None:
        others = others.exclude(pk=seller.pk)
    other = others.first()
    if other is not None:
        return _("the code of seller %(seller)s") % {"seller": other.name}
    for checker in _checkers.values():
        holder = checker(value)
        if holder:
            return holder
    return None


def code_in_use(value: str, *, seller=None) -> bool:
    return holder_of(value, seller=seller) is not None


class SellerCodeForm(forms.ModelForm):
    """The Seller admin's form: a code is stored lowercase and must be free in the namespace."""

    def clean_code(self):
        code = self.cleaned_data["code"].lower()
        holder = holder_of(code, seller=self.instance)
        if holder:
            raise forms.ValidationError(
                _("“%(code)s” is already %(holder)s; seller codes and ledger aliases must all differ."),
                params={"code": code, "holder": holder},
            )
        return code
