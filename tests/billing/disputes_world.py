"""A seller's month closed from real ledger rows and issued, for the dispute tests: cainiao-bonded (storage
per CBM-day at 3.00, parcels 13 + 3 per kg), stock of two items and two parcels in June 2016."""

from __future__ import annotations

from datetime import UTC, datetime

from billing import close
from billing.models import Invoice
from billing.services import issue_invoice
from tariffs.rules import Period
from tests.billing.test_close import upload
from tests.factories import ContractFactory, ServiceLineFactory, UserFactory, preset_card

JUNE = Period(2016, 6)
JULY = Period(2016, 7)
ISSUED_AT = datetime(2016, 7, 5, 9, 0, tzinfo=UTC)
STOCK = [
    "2016-06-01,{wh},{seller},A,100,300,200,3,,1,10",
    "2016-06-02,{wh},{seller},A,100,300,200,3,,0,20",
    "2016-06-03,{wh},{seller},A,100,300,200,3,,0,20",
    "2016-06-01,{wh},{seller},B,400,500,600,1,,0,2",
]
OUTBOUND = [
    "P1,2016-06-03,{wh},{seller},1.2,1,,,,,,",
    "P2,2016-06-04,{wh},{seller},3.001,5,2,SF,HK,300,200,100",
]


def ops_user(email: str = "ops@example.com", language: str = "en"):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, email=email, language=language)
    user.groups.add(Group.objects.get(name="ops"))
    return user


def closed_and_issued(
    seller, *, stock=STOCK, outbound=OUTBOUND, period=JUNE, contract=None, issued_at=ISSUED_AT
):
    """The seller's contract (made once), its month's rows uploaded, closed and issued."""
    if contract is None:
        line = ServiceLineFactory(code=f"bonded-{seller.code}")
        contract = ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    line = contract.service_line
    if stock:
        upload("stock", stock, seller=seller, line=line)
    if outbound:
        upload("outbound", outbound, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=period)
    invoice = Invoice.objects.get(contract=contract, period=period.first_day)
    return issue_invoice(invoice=invoice, now=issued_at), contract
