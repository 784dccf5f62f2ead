"""Statements for tests, the bench and the pictures in docs/statements/: an operator with its bank and
registration details, a seller, and an invoice of any number of lines written straight to the tables the way
the close writes them (message ids for the descriptions and formulas, every section), issued or draft."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing import close
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from inventory.models import LedgerFile, StockLedgerRow
from portal.money import round_money
from tariffs.selectors import version_in_force
from tests.factories import (
    ContractFactory,
    OperatorFactory,
    SellerFactory,
    ServiceLineFactory,
    WarehouseFactory,
    preset_card,
)

JUNE = date(2016, 6, 1)

SELLER_NAMES = {
    "zh-hans": ("优品跨境", "深圳市优品跨境电子商务有限公司", "91440300MA5F0XXXXX"),
    "ja": ("さくらグッズ", "株式会社さくらグッズ", "1234567890123"),
    "vi": ("Saigon Home", "Công ty TNHH Thương mại Điện tử Sài Gòn Home", "0312345678"),
    "en": ("Harbour Goods", "Harbour Goods Trading Ltd.", "GB123456789"),
}


def statement_operator(*, code: str = "linkstar", country: str = "CN", **fields):
    operator = OperatorFactory(code=code)
    values = {
        "name": "Linkstar Logistics",
        "legal_name": "Linkstar International Logistics Co., Ltd.",
        "country": country,
        "address": "Building 3, 88 Haigang Road, Qianhai, Shenzhen 518000",
        "registration_number": "91440300MA5G8LINK1",
        "tax_id": "440300MA5G8LINK1",
        "invoice_registration_number": "T8010401234567",
        "bank_name": "Bank of China, Shenzhen Qianhai Branch",
        "bank_account_name": "Linkstar International Logistics Co., Ltd.",
        "bank_account_number": "7451 0188 0000 1234 567",
        "bank_swift": "BKCHCNBJ45A",
        "dispute_window_days": 30,
        **fields,
    }
    for name, value in values.items():
        setattr(operator, name, value)
    operator.full_clean()
    operator.save()
    return operator


def statement_world(
    *,
    language: str = "zh-hans",
    card: str = "cainiao-bonded",
    currency: str = "CNY",
    operator=None,
    seller_code: str | None = None,
    seller_name: str | None = None,
    warehouse_code: str | None = None,
):
    """(seller, contract) of a seller reading ``language`` under ``card``."""
    operator = operator or statement_operator()
    name, legal, tax_id = SELLER_NAMES[language]
    warehouse = WarehouseFactory(
        code=warehouse_code or f"WH-{currency}-{operator.code}".upper()[:40],
        operator=operator,
        currency=currency,
        default_line=False,
    )
    line = ServiceLineFactory(code=f"line-{currency.lower()}", name="Bonded B2C", warehouse=warehouse)
    seller = SellerFactory(
        code=seller_code or f"seller-{language}",
        name=seller_name or name,
        legal_name=seller_name or legal,
        tax_id=tax_id,
        language=language,
        status="active",
    )
    contract = ContractFactory(seller=seller, service_line=line, rate_card=preset_card(card, currency))
    return seller, contract


def _line(position: int, section: str, currency: str, index: int) -> dict:
    """One line of a realistic month: parcels mostly, then storage, services and customs taxes."""
    if section == "fulfilment":
        weight = Decimal("0.35") + Decimal(index % 17) / 10
        extra = max(Decimal(0), (weight - Decimal(1)).quantize(Decimal(1), rounding="ROUND_CEILING"))
        amount = Decimal(13) + 3 * extra
        kinds = 1 + index % 3
        return {
            "code": "outbound_parcel",
            "unit": "parcel",
            "quantity": Decimal(1),
            "unit_price": amount,
            "amount": amount,
            "description": f"Parcel SO{20160600000 + index}: {weight} kg, {kinds} SKU kinds",
            "description_text": {
                "id": "line.weight_step.parcel",
                "params": {
                    "order_no": f"SO{20160600000 + index}",
                    "weight_kg": str(weight),
                    "sku_kinds": {"id": "count.sku_kind", "params": {"count": kinds}},
                },
            },
            "formula": f"13 + 3 × {extra} = {amount:.2f}",
            "formula_text": {
                "id": "formula.weight_step",
                "params": {"expression": f"13 + 3 × {extra}", "amount": f"{amount:.2f}"},
            },
        }
    if section == "storage":
        cbm_days = Decimal("12.345") + index
        amount = round_money(cbm_days * 3, currency)
        return {
            "code": "storage",
            "unit": "cbm_day",
            "quantity": cbm_days,
            "unit_price": Decimal(3),
            "amount": amount,
            "description": f"Storage 2016-06: {cbm_days} CBM-days",
            "description_text": {
                "id": "line.storage_daily_volume",
                "params": {"period": "2016-06", "cbm_days": str(cbm_days)},
            },
            "formula": f"3 × {cbm_days} = {amount}",
            "formula_text": {
                "id": "formula.storage_daily_volume",
                "params": {"price_per_cbm_day": "3", "cbm_days": str(cbm_days), "amount": f"{amount}"},
            },
        }
    if section == "services":
        quantity = Decimal(2 + index % 9)
        amount = quantity * Decimal("1.50")
        return {
            "code": "vas_label",
            "unit": "piece",
            "quantity": quantity,
            "unit_price": Decimal("1.50"),
            "amount": amount,
            "description": "Relabelling",
            "description_text": None,
            "formula": f"{quantity} × 1.50 = {amount:.2f}",
            "formula_text": {
                "id": "formula.per_unit",
                "params": {"quantity": str(quantity), "price": "1.50", "amount": f"{amount:.2f}"},
            },
        }
    amount = Decimal("9.10") + Decimal(index % 7)
    return {
        "code": "cross_border_tax",
        "unit": "declaration",
        "quantity": Decimal(1),
        "unit_price": None,
        "amount": amount,
        "description": f"Cross-border e-commerce tax, order SO{20160600000 + index}",
        "description_text": {
            "id": "line.cross_border_tax",
            "params": {"order_no": f"SO{20160600000 + index}"},
        },
        "formula": f"(6.20 + 6.80) × 0.7 = {amount}",
        "formula_text": {
            "id": "formula.cross_border_tax",
            "params": {"consumption_tax": "6.20", "vat": "6.80", "discount": "0.7", "amount": f"{amount}"},
        },
    }


def statement_invoice(
    contract,
    *,
    lines: int = 12,
    issued: bool = True,
    number: str = "LINKSTAR-2016-000042",
    period: date = JUNE,
    stock: bool = True,
    tax_rates: dict[int, Decimal] | None = None,
) -> Invoice:
    """An invoice of ``lines`` lines (about 80 % parcels, then storage, services, customs taxes), its
    sections and tax per rate summed as the close sums them; issued with ``number`` unless ``issued=False``.
    ``tax_rates``: a line position's own service tax rate (``inputs["tax_rate"]``)."""
    service_line = contract.service_line
    card = contract.rate_card
    currency = card.currency
    version = version_in_force(card, close.period_of(period))
    plan = []
    for index in range(lines):
        share = index / max(lines, 1)
        section = (
            "fulfilment"
            if share < 0.8
            else "storage"
            if share < 0.84
            else "services"
            if share < 0.92
            else "pass_through"
        )
        plan.append(section)
    rows = [_line(position, section, currency, position) for position, section in enumerate(plan, start=1)]
    if currency == "JPY":  # the yen has no minor unit
        for row in rows:
            row["amount"] = round_money(row["amount"] * 100, currency)
            row["unit_price"] = None if row["unit_price"] is None else row["unit_price"] * 100
    sections = {
        name: Decimal(0) for name in ("fulfilment", "storage", "services", "pass_through", "adjustments")
    }
    taxable: dict[Decimal, Decimal] = {}
    tax_rates = tax_rates or {}
    for position, (section, row) in enumerate(zip(plan, rows, strict=True), start=1):
        sections[section] += row["amount"]
        if section != "pass_through":
            rate = tax_rates.get(position, card.service_tax_rate)
            taxable[rate] = taxable.get(rate, Decimal(0)) + row["amount"]
    breakdown = [
        {"rate": f"{rate:f}", "taxable": f"{amount:f}", "tax": f"{round_money(amount * rate, currency):f}"}
        for rate, amount in sorted(taxable.items())
        if rate
    ]
    subtotal = sum(sections.values(), Decimal(0))
    tax = sum((Decimal(item["tax"]) for item in breakdown), Decimal(0))
    invoice = Invoice.objects.create(
        operator=service_line.warehouse.operator,
        seller=contract.seller,
        warehouse=service_line.warehouse,
        service_line=service_line,
        contract=contract,
        rate_card=card,
        rate_card_version=version,
        period=period,
        currency=currency,
        customer_class=contract.customer_class,
        subtotal=subtotal,
        service_tax=tax,
        total=subtotal + tax,
        sections={name: f"{amount:f}" for name, amount in sections.items()},
        tax_breakdown=breakdown,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            section=section,
            inputs={"tax_rate": f"{tax_rates[position]:f}"} if position in tax_rates else {},
            **row,
        )
        for position, (section, row) in enumerate(zip(plan, rows, strict=True), start=1)
    )
    if stock:
        stock_rows(contract, period)
    if issued:
        Invoice.objects.filter(pk=invoice.pk).update(
            status="issued",
            number=number,
            issue_date=date(2016, 7, 2),
            due_date=date(2016, 8, 1),
            issued_at=datetime(2016, 7, 2, 3, 0, tzinfo=UTC),
        )
        invoice.refresh_from_db()
    return invoice


def stock_rows(contract, period: date) -> None:
    """A month of the warehouse's stock rows for the seller: volume rising then falling, a gap of days."""
    service_line = contract.service_line
    ledger = LedgerFile.objects.create(
        seller=contract.seller,
        warehouse=service_line.warehouse,
        kind=LedgerFile.Kind.STOCK,
        source=LedgerFile.Source.WAREHOUSE,
        original_name="stock.csv",
        sha256=f"{contract.pk:064d}",
        dedupe_key=f"statement-stock:{contract.pk}",
        status="stored",
    )
    rows = []
    for offset in range(30):
        if 12 <= offset <= 13:
            continue
        volume = Decimal("1.2") + Decimal(offset if offset < 18 else 34 - offset) * Decimal("0.085")
        rows.append(
            StockLedgerRow(
                ledger_file=ledger,
                seller=contract.seller,
                warehouse=service_line.warehouse,
                service_line=service_line,
                source=LedgerFile.Source.WAREHOUSE,
                row_number=offset + 2,
                business_date=period + timedelta(days=offset),
                item_id="A-100",
                length_mm=Decimal(300),
                width_mm=Decimal(200),
                height_mm=Decimal(100),
                daily_volume_m3=volume,
                sales_qty=3,
                stock_qty=int(volume * 100),
            )
        )
    StockLedgerRow.objects.bulk_create(rows)


def credit_note_of(
    invoice: Invoice, *, positions=(1, 2), issued: bool = True, number: str = "CN-LINKSTAR-2016-0007"
):
    """A credit note of ``invoice`` correcting the lines at ``positions`` (half of each, in the currency's
    minor unit) and one amount for the invoice as a whole."""
    currency = invoice.currency
    note = CreditNote.objects.create(
        invoice=invoice,
        operator=invoice.operator,
        seller=invoice.seller,
        currency=currency,
        reason="Parcels weighed twice at receiving; the dispute was accepted.",
    )
    total = Decimal(0)
    position = 0
    for position, line in enumerate(
        invoice.lines.filter(position__in=positions).order_by("position"), start=1
    ):
        amount = round_money(line.amount / 2, currency)
        total += amount
        CreditNoteLine.objects.create(
            credit_note=note,
            position=position,
            description="Weight corrected after the dispute",
            amount=amount,
            invoice_line=line,
        )
    goodwill = round_money(Decimal(5) if currency != "JPY" else Decimal(500), currency)
    CreditNoteLine.objects.create(
        credit_note=note, position=position + 1, description="Goodwill for the delay", amount=goodwill
    )
    total += goodwill
    CreditNote.objects.filter(pk=note.pk).update(total=total)
    if issued:
        CreditNote.objects.filter(pk=note.pk).update(
            status="issued",
            number=number,
            issue_date=date(2016, 7, 20),
            issued_at=datetime(2016, 7, 20, tzinfo=UTC),
        )
    note.refresh_from_db()
    return note
