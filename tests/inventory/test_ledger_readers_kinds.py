"""Each ledger kind of SPEC §6.2 to §6.6: a good file, and its bad rows with their reasons."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.ledgers import (
    RECEIVING_SERVICE_INPUTS,
    SCHEMAS,
    InboundRow,
    LedgerFileError,
    OutboundRow,
    ReceivingRow,
    TaxRow,
    VasRow,
    read_ledger,
    validate_ledger,
)


def ledger(header: str, *lines: str) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def errors_of(data: bytes, kind: str, **options) -> list[str]:
    return [str(e) for e in validate_ledger(data, kind, **options).errors]


OUTBOUND = "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds,units,carrier,destination," + (
    "length_mm,width_mm,height_mm"
)
VAS = "date,warehouse,seller,service_code,quantity,amount,reference"
TAX = "order_no,date,warehouse,seller,dutiable_value,tariff_rate,consumption_tax_rate,vat_rate"
INBOUND = "date,warehouse,seller,line,packages,weight_kg,reference"
RECEIVING = (
    "date,warehouse,seller,service,units,unit_value_cny,volume_m3,freight_rate_per_kg,weight_kg,reference"
)


# --- outbound (§6.2) ----------------------------------------------------------------------------------


def test_outbound_ledger_reads_parcels_with_optional_columns():
    data = ledger(
        OUTBOUND,
        "LP001,20160603,HK1,s1,3.5,2,3,SF,Shanghai,300,200,100",
        "LP002,2016-06-04,HK1,s1,0.2,1,,,,,,",
    )

    first, second = read_ledger(data, "outbound")

    assert first == OutboundRow(
        "LP001",
        date(2016, 6, 3),
        "HK1",
        "s1",
        Decimal("3.5"),
        2,
        3,
        "SF",
        "Shanghai",
        Decimal(300),
        Decimal(200),
        Decimal(100),
        None,
        2,
    )
    assert second == OutboundRow(
        "LP002", date(2016, 6, 4), "HK1", "s1", Decimal("0.2"), 1, None, None, None, None, None, None, None, 3
    )


def test_outbound_ledger_needs_only_its_required_columns():
    data = ledger("Order_No,Ship_Date,Warehouse,Seller,Weight_KG,SKU_Kinds", "A,20160601,W,S,5,6")

    (row,) = read_ledger(data, "outbound")

    assert (row.weight_kg, row.sku_kinds, row.units, row.carrier) == (Decimal(5), 6, None, None)


def test_outbound_bad_rows_name_row_column_and_reason():
    data = ledger(
        OUTBOUND,
        "LP1,20160601,HK1,s1,1,1,,,,,,",
        "LP2,20160601,HK1,s1,1,1,,,,,,",
        "LP3,20160601,HK1,s1,1,1,,,,,,",
        "LP4,20160601,HK1,s1,1,1,,,,,,",
        "LP5,20160601,HK1,s1,1,1,,,,,,",
        "LP6,20160601,HK1,s1,-1,0,0,,,0,,",
    )

    assert errors_of(data, "outbound") == [
        'row 7, weight_kg: must be greater than 0 (got "-1")',
        'row 7, sku_kinds: must be at least 1 (got "0")',
        'row 7, units: must be at least 1 (got "0")',
        'row 7, length_mm: must be greater than 0 (got "0")',
    ]


def test_outbound_missing_weight_column_is_a_file_error():
    with pytest.raises(LedgerFileError, match="^missing required column: weight_kg$"):
        read_ledger(ledger("order_no,ship_date,warehouse,seller,sku_kinds", "A,20160601,W,S,1"), "outbound")


# --- value-added services (§6.3) ------------------------------------------------------------------------


def test_vas_ledger_reads_per_unit_and_at_cost_services():
    data = ledger(VAS, "20160601,HK1,s1,card_insert,120,,PO-7", "20160602,HK1,s1,Destruction,1,35.50,")

    first, second = read_ledger(data, "vas")

    assert first == VasRow(date(2016, 6, 1), "HK1", "s1", "card_insert", 120, None, "PO-7", None, 2)
    assert second == VasRow(date(2016, 6, 2), "HK1", "s1", "destruction", 1, Decimal("35.50"), None, None, 3)


def test_vas_at_cost_without_amount_is_a_bad_row_and_any_code_is_read():
    """The reader does not know which codes are priced (the importer checks them against the warehouse's
    rate cards, issue 11): an unlisted code is read, lower-cased."""
    data = ledger(
        VAS, "20160601,HK1,s1,Gift_Wrap,1,,", "20160601,HK1,s1,lab_test,1,,", "20160601,HK1,s1,repack,-2,,"
    )

    assert errors_of(data, "vas") == [
        'row 3, amount: is required for the at-cost service "lab_test"',
        'row 4, quantity: must be 0 or more (got "-2")',
    ]
    (row,) = read_ledger(ledger(VAS, "20160601,HK1,s1,Gift_Wrap,1,,"), "vas")
    assert row.service_code == "gift_wrap"


def test_vas_service_codes_can_be_given_by_the_caller():
    data = ledger(VAS, "20160601,HK1,s1,gift_wrap,1,,")

    (row,) = read_ledger(data, "vas", service_codes=["gift_wrap", "repack"])

    assert row.service_code == "gift_wrap"
    assert errors_of(ledger(VAS, "20160601,HK1,s1,kitting,1,,"), "vas", service_codes=["gift_wrap"]) == [
        'row 2, service_code: must be one of gift_wrap (got "kitting")'
    ]


# --- customs tax (§6.4) ---------------------------------------------------------------------------------


def test_tax_ledger_reads_rates_as_exact_decimals():
    (row,) = read_ledger(ledger(TAX, "D-1,20160601,HK1,s1,100,0,0.3,0.17"), "tax")

    assert row == TaxRow(
        "D-1",
        date(2016, 6, 1),
        "HK1",
        "s1",
        Decimal(100),
        Decimal(0),
        Decimal("0.3"),
        Decimal("0.17"),
        None,
        2,
    )


def test_tax_rates_must_be_decimals_between_0_and_1():
    data = ledger(TAX, "D-1,20160601,HK1,s1,-100,1.5,1,30%", "D-2,20160601,HK1,s1,100,1,0.999,1")

    assert errors_of(data, "tax") == [
        'row 2, dutiable_value: must be 0 or more (got "-100")',
        'row 2, tariff_rate: must be at most 1 (got "1.5")',
        'row 2, consumption_tax_rate: must be less than 1 (got "1")',
        'row 2, vat_rate: must be a decimal such as 0.3, not a percentage (got "30%")',
    ]


# --- inbound weight (§6.5) ------------------------------------------------------------------------------


def test_inbound_ledger_reads_lines_case_insensitively():
    data = ledger(INBOUND, "20160601,HN1,s1,Lot,3,120.5,B-1", "20160602,HN1,s1,ecommerce,10,6000,")

    first, second = read_ledger(data, "inbound")

    assert first == InboundRow(date(2016, 6, 1), "HN1", "s1", "lot", 3, Decimal("120.5"), "B-1", None, 2)
    assert (second.line, second.packages, second.weight_kg, second.reference) == (
        "ecommerce",
        10,
        Decimal(6000),
        None,
    )


def test_inbound_bad_line_and_quantities_are_bad_rows():
    data = ledger(INBOUND, "20160601,HN1,s1,air,-1,0,")

    assert errors_of(data, "inbound") == [
        'row 2, line: must be one of ecommerce, general, lot (got "air")',
        'row 2, packages: must be 0 or more (got "-1")',
        'row 2, weight_kg: must be greater than 0 (got "0")',
    ]


# --- receiving services (§6.6) --------------------------------------------------------------------------


def test_receiving_ledger_reads_each_service_with_its_inputs():
    data = ledger(
        RECEIVING,
        "20160601,HN1,s1,count,50,25,,,,IB-1",
        "20160601,HN1,s1,inspect,2,8,,,,",
        "20160601,HN1,s1,crate_shared,,,0.03,2400,,",
        "20160601,HN1,s1,wrap_private,,,0.2,,,",
        "20160601,HN1,s1,container_unload,,,,,1250.5,",
    )

    rows = read_ledger(data, "receiving")

    assert rows[0] == ReceivingRow(
        date(2016, 6, 1), "HN1", "s1", "count", 50, Decimal(25), None, None, None, "IB-1", None, 2
    )
    assert [(r.service, r.volume_m3, r.freight_rate_per_kg, r.weight_kg) for r in rows[2:]] == [
        ("crate_shared", Decimal("0.03"), Decimal(2400), None),
        ("wrap_private", Decimal("0.2"), None, None),
        ("container_unload", None, None, Decimal("1250.5")),
    ]


def test_receiving_file_for_count_only_needs_no_crate_columns():
    data = ledger("date,warehouse,seller,service,units,unit_value_cny", "20160601,W,S,count,3,9")

    (row,) = read_ledger(data, "receiving")

    assert (row.units, row.unit_value_cny, row.volume_m3) == (3, Decimal(9), None)


@pytest.mark.parametrize("service", sorted(RECEIVING_SERVICE_INPUTS))
def test_receiving_row_without_its_service_inputs_is_bad(service):
    data = ledger(RECEIVING, f"20160601,HN1,s1,{service},,,,,,")

    assert errors_of(data, "receiving") == [
        f'row 2, {name}: is required for the service "{service}"'
        for name in RECEIVING_SERVICE_INPUTS[service]
    ]


def test_receiving_unknown_service_and_bad_inputs_are_all_reported():
    data = ledger(RECEIVING, "20160601,HN1,s1,polish,,,,,,", "20160601,HN1,s1,crate_private,,,abc,,,")

    assert errors_of(data, "receiving") == [
        "row 2, service: must be one of count, inspect, crate_shared, crate_private, wrap_shared, "
        'wrap_private, ecommerce_split, container_unload, shipping_mark (got "polish")',
        'row 3, volume_m3: must be a number (got "abc")',
        'row 3, freight_rate_per_kg: is required for the service "crate_private"',
    ]


# --- all kinds --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_kind_refuses_a_file_missing_its_first_required_column(kind):
    schema = SCHEMAS[kind]
    header = ",".join(c.name for c in schema.columns[1:])

    with pytest.raises(LedgerFileError) as caught:
        read_ledger(ledger(header, "x"), kind)

    assert caught.value.errors[0].column == schema.columns[0].name
    assert caught.value.errors[0].reason == "required column is missing"


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_kind_reports_a_malformed_date(kind):
    schema = SCHEMAS[kind]
    date_column = next(c.name for c in schema.columns if c.type.value == "date")
    header = ",".join(c.name for c in schema.columns)
    cells = ["01/06/2016" if c.name == date_column else "" for c in schema.columns]

    report = validate_ledger(ledger(header, ",".join(cells)), kind)

    assert f'row 2, {date_column}: must be a date written YYYYMMDD or YYYY-MM-DD (got "01/06/2016")' in [
        str(e) for e in report.errors
    ]
