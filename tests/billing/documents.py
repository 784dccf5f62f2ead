"""Billing documents for tests: drafts written straight to the table (with the digest of the rows in force, so
issue accepts them), and staff users of each role."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group

from billing import close
from billing.models import Invoice, InvoiceLine
from tariffs.selectors import version_in_force
from tests.factories import ContractFactory, OperatorFactory, SellerFactory, ServiceLineFactory, UserFactory


def billing_world(*, operator_code: str = "acme", seller_code: str = "shop", terms: int = 30):
    operator = OperatorFactory(code=operator_code)
    line = ServiceLineFactory(code=f"line-{seller_code}", warehouse__operator=operator)
    seller = SellerFactory(code=seller_code, status="active")
    contract = ContractFactory(seller=seller, service_line=line, payment_terms_days=terms)
    return seller, line, contract


def draft_invoice(
    contract, *, period: date = date(2016, 6, 1), total: Decimal = Decimal("100.00"), lines=None
):
    """A draft of ``contract``'s month with one line per amount (default: one line of ``total``)."""
    line = contract.service_line
    version = version_in_force(contract.rate_card, close.period_of(period))
    invoice = Invoice.objects.create(
        operator=line.warehouse.operator,
        seller=contract.seller,
        warehouse=line.warehouse,
        service_line=line,
        contract=contract,
        rate_card=contract.rate_card,
        rate_card_version=version,
        period=period,
        currency=contract.rate_card.currency,
        customer_class=contract.customer_class,
        subtotal=total,
        total=total,
        sections={"storage": f"{total:f}"},
        inputs_digest=close.inputs_digest(contract.seller_id, line, close.period_of(period)),
    )
    for position, amount in enumerate(lines or [total], start=1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            code="storage",
            section="storage",
            description="Storage",
            quantity=Decimal(1),
            unit="month",
            unit_price=amount,
            amount=amount,
            formula=f"{amount}",
        )
    return invoice


def staff(role: str, email: str | None = None):
    user = UserFactory(is_staff=True, email=email or f"{role}@example.com")
    user.groups.add(Group.objects.get(name=role))
    return user
