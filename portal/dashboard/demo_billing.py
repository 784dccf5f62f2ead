"""Demo ledgers and invoices (issue 12): two recent months of warehouse ledgers for each demo seller, plus
this month so far, stored through the importer (so they are what an upload stores), and the monthly close of
both months. ``load_demo`` then issues the earlier month (see ``issue_demo_month``) so that a newcomer sees
issued, sent, paid and unpaid invoices, and drafts, on every page.

Deterministic: the same day gives the same files, and an upload of the same content is stored once, so
loading the demo again adds nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from tariffs.rules import Period

# (seller, warehouse, service line or "" when implied, kinds to generate)
DEMO_LEDGERS = [
    ("youpin", "CN-HZ-BONDED", "cainiao-bonded", ("stock", "outbound")),
    ("youpin", "CN-HZ-BONDED", "tmall-import", ("outbound",)),
    ("youpin", "HK-XY-OVERSEAS", "cainiao-overseas", ("stock", "outbound")),
    ("sakura-goods", "JP-TYO-01", "jp-fulfilment", ("stock", "outbound")),
    ("saigon-home", "VN-CN-PX", "ecommerce", ("inbound", "receiving")),
    ("saigon-home", "VN-CN-PX", "general", ("inbound",)),
]
ITEMS = {  # item id, length, width, height (mm), units per carton, opening stock
    "youpin": [
        ("YP-KETTLE-01", 460, 340, 520, 8, 160),
        ("YP-BOX-S", 600, 400, 420, 40, 800),
        ("YP-POWERBANK", 500, 300, 250, 50, 1000),
    ],
    "sakura-goods": [("SK-LAMP-01", 620, 320, 380, 12, 240)],
}
HEADERS = {
    "stock": "business_date,warehouse,seller,service_line,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,sales_qty,stock_qty",
    "outbound": "order_no,ship_date,warehouse,seller,service_line,weight_kg,sku_kinds,units,carrier,"
    "destination,length_mm,width_mm,height_mm",
    "inbound": "date,warehouse,seller,line,packages,weight_kg,reference",
    "receiving": "date,warehouse,seller,service_line,service,units,unit_value_cny,volume_m3,"
    "freight_rate_per_kg,weight_kg,reference",
}


def demo_months(today: date) -> tuple[Period, Period, Period]:
    """The month before last (issued in the demo), last month (a draft) and this month (so far)."""
    this = Period(today.year, today.month)
    last_day_before = this.first_day - timedelta(days=1)
    last = Period(last_day_before.year, last_day_before.month)
    before = last.first_day - timedelta(days=1)
    return Period(before.year, before.month), last, this


def _days(period: Period, today: date) -> list[date]:
    end = min(period.last_day, today)  # this month: up to today, so that the dashboard has figures on the 1st
    return [period.first_day + timedelta(days=n) for n in range((end - period.first_day).days + 1)]


def ledger_rows(seller: str, warehouse: str, line: str, kind: str, period: Period, today: date) -> list[str]:
    days = _days(period, today)
    rows: list[str] = []
    tag = f"{period.year % 100:02d}{period.month:02d}"
    if kind == "stock":
        for item, length, width, height, per_carton, opening in ITEMS[seller]:
            stock = opening
            for day in days:
                sold = (day.day * 7 + len(item)) % 9
                stock = max(stock - sold, 0) + (per_carton * 10 if day.day in (1, 15) else 0)
                rows.append(
                    f"{day},{warehouse},{seller},{line},{item},{length},{height},{width},{per_carton},{sold},{stock}"
                )
    elif kind == "outbound":
        for n, day in enumerate(days[::2], start=1):
            weight = f"{0.4 + (n * 37 % 40) / 10:.3f}"
            kinds = 1 + n % 6
            if seller == "sakura-goods":
                carrier = "sagawa" if n % 2 else "yamato"
                rows.append(
                    f"JP{tag}{n:04d},{day},{warehouse},{seller},{line},{weight},{kinds},{kinds + 1},"
                    f"{carrier},JP,300,200,150"
                )
            else:
                prefix = "TM" if line == "tmall-import" else warehouse[:2]
                rows.append(
                    f"{prefix}{tag}{n:04d},{day},{warehouse},{seller},{line},{weight},{kinds},{kinds},,,,,"
                )
    elif kind == "inbound":
        for n, day in enumerate(days[::5], start=1):
            rows.append(
                f"{day},{warehouse},{seller},{line},{2 + n % 4},{120 + n * 35}.5,"
                f"IN-{line[:3].upper()}{tag}{n:02d}"
            )
    elif kind == "receiving":
        for n, day in enumerate(days[::7], start=1):
            rows.append(f"{day},{warehouse},{seller},{line},count,{20 + n * 15},6.50,,,,RC-{tag}{n:02d}")
    return rows


def load_demo_ledgers(today: date) -> int:
    """Store the demo sellers' warehouse ledgers of the two months before ``today``'s and of this month so
    far; returns how many uploads were stored now (0 when the demo already holds them)."""
    from inventory.ledgers.imports import create_upload, import_ledger_file
    from inventory.models import LedgerFile
    from portal.models import Warehouse

    stored = 0
    for period in demo_months(today):
        for seller, warehouse_code, line, kinds in DEMO_LEDGERS:
            warehouse = Warehouse.objects.get(code=warehouse_code)
            for kind in kinds:
                rows = ledger_rows(seller, warehouse_code, line, kind, period, today)
                if not rows:
                    continue
                data = ("\n".join([HEADERS[kind], *rows]) + "\n").encode()
                result = create_upload(
                    uploaded=io.BytesIO(data),
                    name=f"{warehouse_code}-{line}-{kind}-{period}.csv",
                    seller=None,
                    warehouse=warehouse,
                    kind=kind,
                    source=LedgerFile.Source.WAREHOUSE,
                    user=None,
                    enqueue=False,
                )
                if result.created:
                    ledger_file = import_ledger_file(result.ledger_file.pk)
                    if ledger_file.status != LedgerFile.Status.STORED:
                        raise RuntimeError(
                            f"demo ledger {ledger_file.original_name}: {ledger_file.errors[:3]}"
                        )
                    stored += 1
    return stored


def close_demo_months(today: date) -> list:
    """Close the two past demo months for every demo seller (drafts; re-running writes nothing new)."""
    from billing.close import close_seller_month
    from portal.models import Seller

    results = []
    before, last, _ = demo_months(today)
    for seller in Seller.objects.filter(code__in=sorted({spec[0] for spec in DEMO_LEDGERS})).order_by("code"):
        for period in (before, last):
            results.append(close_seller_month(seller=seller, period=period))
    return results


def issue_demo_month(today: date) -> None:
    """Issue the earlier demo month (which closes it): youpin's bonded invoice is sent and paid, the others
    are issued and sent, and stay unpaid (the overdue job marks them once past due). Idempotent."""
    from django.contrib.auth import get_user_model

    from billing import services
    from billing.models import Invoice

    before, _, _ = demo_months(today)
    finance = get_user_model().objects.filter(email="finance@example.com").first()
    drafts = Invoice.objects.filter(period=before.first_day, status=Invoice.Status.DRAFT).order_by(
        "seller__code", "pk"
    )
    for invoice in drafts.select_related("seller", "service_line"):
        if invoice.is_stale:
            continue
        issued = services.issue_invoice(invoice=invoice, by=finance)
        services.record_send(invoice=issued, by=finance)
        if (issued.seller.code, issued.service_line.code) == ("youpin", "cainiao-bonded"):
            services.record_payment(
                seller=issued.seller,
                currency=issued.currency,
                amount=issued.total,
                received_on=issued.issue_date,
                bank_reference=f"DEMO-{issued.number}",
                by=finance,
                allocate_to=[issued],
            )


def demo_disputes(today: date) -> None:
    """Two disputes on youpin's issued overseas-warehouse invoice (issue 14): one resolved (a parcel's
    weight, accepted as a credit note and closed) and one open with its proposal (a storage item's stock on
    the month's first days). Proposed at once (no worker needed). Idempotent: an invoice with disputes is
    left as it is."""
    from django.contrib.auth import get_user_model

    from billing import disputes
    from billing.models import Dispute, Invoice
    from inventory.models import OutboundParcelRow

    before, _, _ = demo_months(today)
    invoice = Invoice.objects.filter(
        seller__code="youpin", service_line__code="cainiao-overseas", period=before.first_day, status="issued"
    ).first()
    if invoice is None or Dispute.objects.filter(invoice=invoice).exists():
        return
    users = get_user_model().objects
    owner = users.filter(email="owner@youpin.example.com").first()
    ops = users.filter(email="ops@example.com").first()
    now = invoice.issued_at or None
    parcel_line = invoice.lines.filter(ledger="outbound").order_by("-amount", "position").first()
    if parcel_line is not None:
        parcel = OutboundParcelRow.objects.filter(pk__in=parcel_line.source_refs).order_by("pk").first()
        claimed = max(parcel.weight_kg - 1, parcel.weight_kg / 2).quantize(parcel.weight_kg)
        resolved = disputes.open_dispute(
            line=parcel_line,
            by=owner,
            reason=disputes.Reason.WRONG_WEIGHT,
            text=f"Parcel {parcel.order_no} left our packing table at {claimed} kg (our scale ticket).",
            figures=disputes.Figures(reference=parcel.order_no, weight_kg=claimed),
            now=now,
        )
        resolved = disputes.propose_dispute(dispute_id=resolved.pk, now=now)
        if resolved.is_credit:
            disputes.reply_to_dispute(
                dispute=resolved,
                by=ops,
                body="Re-weighed from the camera record: agreed.",
                from_seller=False,
                now=now,
            )
            disputes.accept_dispute(
                dispute=resolved, decision="credit_note", reason="Scale error confirmed.", by=ops
            )
            disputes.close_dispute(dispute=resolved, by=ops)
    storage_line = invoice.lines.filter(ledger="stock").order_by("position").first()
    if storage_line is not None:
        item = sorted(ref["item_id"] for ref in storage_line.source_refs if isinstance(ref, dict))[0]
        first = before.first_day
        pending = disputes.open_dispute(
            line=storage_line,
            by=owner,
            reason=disputes.Reason.WRONG_QUANTITY,
            text=f"{item}: 40 units on hand for the month's first three days, by our count.",
            figures=disputes.Figures(
                reference=item, quantity=Decimal(40), day_from=first, day_to=first + timedelta(days=2)
            ),
            now=now,
        )
        disputes.propose_dispute(dispute_id=pending.pk, now=now)
