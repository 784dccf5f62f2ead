"""Disputes (issue 14, "Guarantees"): a proposal computed with the seller's figures equals
``simulate_invoice`` on the corrected files, and accepting it moves the invoice's balance by exactly that
difference; system disputes open at issue from the close's findings."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import close
from billing.disputes import Figures, accept_dispute, open_dispute, propose_dispute
from billing.models import Dispute, Invoice
from billing.services import BillingError, issue_invoice
from tests.billing.disputes_world import ISSUED_AT, JUNE, closed_and_issued
from tests.factories import ContractFactory, ServiceLineFactory, preset_card
from tests.inventory.test_store_facts import csv_bytes, store

stock_rows = st.lists(
    st.tuples(
        st.sampled_from("AB"), st.integers(1, 5), st.integers(0, 60), st.integers(0, 3)
    ),  # item, day, qty, sold
    min_size=1,
    max_size=6,
    unique_by=lambda row: (row[0], row[1]),
)
parcels = st.lists(st.tuples(st.decimals("0.1", "12", places=2), st.integers(1, 7)), min_size=1, max_size=4)
claims = st.one_of(
    st.tuples(st.just("weight"), st.integers(0, 3), st.decimals("0.1", "12", places=2)),
    st.tuples(st.just("stock"), st.integers(0, 5), st.integers(0, 60)),
)


class _Rollback(Exception):
    pass


def stock_lines(rows, wh, seller, claim=None):
    out = []
    for item, day, qty, sold in rows:
        volume = ""
        if claim is not None and claim[0] == item and claim[1] <= day <= claim[2]:
            qty = claim[3]
        out.append(f"2016-06-{day:02d},{wh},{seller},{item},100,300,200,3,{volume},{sold},{qty}")
    return out


def parcel_lines(rows, wh, seller, weights=None):
    return [
        f"P{n},2016-06-03,{wh},{seller},{(weights or {}).get(n, weight)},{kinds},,,,,,"
        for n, (weight, kinds) in enumerate(rows)
    ]


def simulated_total(tmp_path, stock, outbound) -> Decimal:
    stock_file, outbound_file = tmp_path / "stock.csv", tmp_path / "outbound.csv"
    stock_file.write_bytes(csv_bytes("stock", stock))
    outbound_file.write_bytes(csv_bytes("outbound", outbound))
    from io import StringIO

    out = StringIO()
    call_command(
        "simulate_invoice",
        "--rate-card=cainiao-bonded",
        "--period=2016-06",
        f"--stock={stock_file}",
        f"--outbound={outbound_file}",
        "--format=json",
        stdout=out,
    )
    return Decimal(json.loads(out.getvalue())["total"])


@pytest.fixture
def world(owner):
    line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=owner.seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    return owner, line


@pytest.mark.slow  # 20 examples, each storing two uploads, closing, issuing and recomputing (~15 s)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stock=stock_rows, outbound=parcels, claim=claims)
def test_a_proposal_equals_simulate_invoice_on_the_corrected_files_and_moves_the_balance_by_it(
    world, tmp_path_factory, stock, outbound, claim
):
    owner, line = world
    seller, wh = owner.seller, line.warehouse.code
    tmp_path = tmp_path_factory.mktemp("files")
    try:
        with transaction.atomic():
            store("stock", csv_bytes("stock", stock_lines(stock, wh, seller.code)), warehouse=line.warehouse)
            store(
                "outbound",
                csv_bytes("outbound", parcel_lines(outbound, wh, seller.code)),
                warehouse=line.warehouse,
            )
            close.close_seller_month(seller=seller, period=JUNE)
            invoice = issue_invoice(invoice=Invoice.objects.get(seller=seller), now=ISSUED_AT)
            corrected_stock = stock_lines(stock, wh, seller.code)
            corrected_parcels = parcel_lines(outbound, wh, seller.code)
            if claim[0] == "weight":
                n = claim[1] % len(outbound)
                target = next(
                    item for item in invoice.lines.filter(ledger="outbound") if _has_parcel(item, f"P{n}")
                )
                figures = Figures(reference=f"P{n}", weight_kg=claim[2])
                reason = "wrong_weight"
                corrected_parcels = parcel_lines(outbound, wh, seller.code, {n: claim[2]})
            else:
                item, first = stock[0][0], stock[0][1]
                last = min(5, first + claim[1])
                target = invoice.lines.get(ledger="stock")
                figures = Figures(
                    reference=item,
                    quantity=Decimal(claim[2]),
                    day_from=date(2016, 6, first),
                    day_to=date(2016, 6, last),
                )
                reason = "wrong_quantity"
                corrected_stock = stock_lines(stock, wh, seller.code, (item, first, last, claim[2]))
            dispute = open_dispute(
                line=target,
                by=owner.user,
                reason=reason,
                text="x",
                figures=figures,
                now=ISSUED_AT + timedelta(days=1),
            )
            proposed = propose_dispute(dispute_id=dispute.pk)
            assert proposed.state == "proposed", proposed.proposal_error
            assert proposed.proposed_total == simulated_total(tmp_path, corrected_stock, corrected_parcels)
            assert proposed.difference == proposed.proposed_total - invoice.total
            balance = invoice.balance
            if proposed.difference < 0:
                accept_dispute(dispute=proposed, decision="credit_note", reason="ok")
            else:
                with pytest.raises(BillingError, match="nothing to credit"):
                    accept_dispute(dispute=proposed, decision="credit_note", reason="ok")
            invoice.refresh_from_db()
            assert invoice.balance - balance == min(proposed.difference, Decimal(0))
            raise _Rollback
    except _Rollback:
        pass


def _has_parcel(line, order_no) -> bool:
    from inventory.models import OutboundParcelRow

    return OutboundParcelRow.objects.filter(pk__in=line.source_refs, order_no=order_no).exists()


def test_system_disputes_open_at_issue_from_the_findings_and_use_the_sellers_row(owner, sent_mail):
    line = ServiceLineFactory(code="bonded")
    contract = ContractFactory(
        seller=owner.seller, service_line=line, rate_card=preset_card("cainiao-bonded")
    )
    # The seller's own ledger says 5 units of A on the 2nd where the warehouse says 20.
    store(
        "stock",
        csv_bytes("stock", [f"2016-06-02,{line.warehouse.code},{owner.seller.code},A,100,300,200,3,,0,5"]),
        warehouse=line.warehouse,
        seller=owner.seller,
        source="seller",
    )
    invoice, _contract = closed_and_issued(owner.seller, contract=contract)
    assert [f["kind"] for f in invoice.findings] == ["source_mismatch"]

    [dispute] = Dispute.objects.filter(invoice=invoice)
    assert (dispute.origin, dispute.state, dispute.line.ledger, dispute.seller_figures) == (
        "system",
        "open",
        "stock",
        {"stock_qty": 5, "sales_qty": 0},
    )
    proposed = propose_dispute(dispute_id=dispute.pk)
    # A: 0.002 m³ × (10 + 5 + 20) = 0.07 + B 0.24 = 0.31 CBM-days × 3.00 = 0.93 instead of 1.02
    assert (proposed.proposed_line_amount, proposed.difference) == (Decimal("0.93"), Decimal("-0.09"))
    assert any(
        m.subject == f"Invoice {invoice.number}: 1 dispute opened from the warehouse's checks"
        for m in sent_mail()
    )
    # Issuing opens them once: running it again adds none.
    from billing.disputes import open_system_disputes

    assert open_system_disputes(invoice=invoice) == []
