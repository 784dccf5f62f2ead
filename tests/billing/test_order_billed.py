"""An inbound order's detail shows what was billed for it beside the estimate (issue 12): the invoice lines
whose warehouse rows name the order."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import close
from billing.models import Invoice
from billing.orders import billed_for_order, billed_total
from tests.billing.test_close import JUNE, upload
from tests.factories import ContractFactory, InboundOrderFactory, ServiceLineFactory, preset_card


@pytest.fixture
def order(owner):
    line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=owner.seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    order = InboundOrderFactory(seller=owner.seller, warehouse=line.warehouse, number="IB-2016-0001")
    taxes = [
        "IB-2016-0001,2016-06-07,{wh},{seller},100.00,0,0.15,0.17",
        "OTHER-1,2016-06-08,{wh},{seller},50.00,0,0.15,0.17",
    ]
    upload("tax", taxes, seller=owner.seller, line=line)
    return order


def test_the_tax_line_of_the_order_is_billed_for_it(order):
    assert billed_for_order(order) == []  # nothing closed yet
    close.close_seller_month(seller=order.seller, period=JUNE)
    (billed,) = billed_for_order(order)
    assert billed.line.ledger == "tax" and billed.order_rows == 1
    # cross_border_tax bills one line per order (SPEC §7.5): this one is the order's alone
    assert billed.whole and billed.line.section == "pass_through"
    # SPEC §7.5 on 100.00: consumption tax 100 / 0.85 × 0.15 = 17.647…, VAT (100 + 17.647…) × 0.17 = 20.00,
    # payable (17.647… + 20.00) × 0.7 = 26.35
    assert billed.line.amount == Decimal("26.35")
    assert billed_total([billed]) == {}  # a draft is not billed yet
    Invoice.objects.update(status="issued", number="X-1", issue_date="2016-07-01")
    (billed,) = billed_for_order(order)
    assert billed_total([billed]) == {"CNY": billed.line.amount}


def test_the_order_page_loads_the_billed_panel(order, owner_client):
    close.close_seller_month(seller=order.seller, period=JUNE)
    order.state = "in_transit"
    order.save(update_fields=["state"])
    detail = owner_client.get(reverse("inventory:order-detail", args=[order.pk])).content.decode()
    assert reverse("portal:order-billed", args=[order.pk]) in detail
    panel = owner_client.get(reverse("portal:order-billed", args=[order.pk])).content.decode()
    assert 'id="order-billed"' in panel and "draft" in panel and "2016-06" in panel
