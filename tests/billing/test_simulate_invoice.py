"""`simulate_invoice` reproduces the golden cases from ledger files through the same engine (SPEC §12)."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import REPO, database_url_for_workers

GOLDEN = REPO.parent / "shared" / "golden"
CASES = json.loads((GOLDEN / "seed_cases.json").read_text(encoding="utf-8"))


def simulate(*args: str) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("simulate_invoice", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def write(path: Path, header: str, *rows: str) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def card_args(case: dict) -> list[str]:
    args = ["--rate-card", case["rate_card"]]
    if case.get("currency"):
        args += ["--currency", case["currency"]]
    if case.get("customer_class"):
        args += ["--customer-class", case["customer_class"]]
    return args


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ledger",
    [
        "cainiao_overseas_2016-06_utf8.csv",
        "cainiao_overseas_2016-06_gbk.csv",
        "cainiao_overseas_2016-06_utf8bom.csv",
    ],
)
def test_turnover_storage_of_the_worked_ledger_in_every_encoding(ledger):
    result = simulate(
        "--rate-card", "cainiao-overseas", "--period", "2016-06", "--stock", str(GOLDEN / ledger)
    )
    assert (
        result["rate_card"] == "cainiao-overseas" and result["version"] == 1 and result["currency"] == "CNY"
    )
    assert [line["amount"] for line in result["lines"]] == ["344.74"]
    assert result["sections"]["storage"] == "344.74"
    assert (result["subtotal"], result["service_tax"], result["total"]) == ("344.74", "0.00", "344.74")
    assert "30 × 9.8 × 1.1726 = 344.74" in result["lines"][0]["formula"]


@pytest.mark.django_db
def test_daily_volume_storage_of_the_worked_ledger():
    case = CASES["storage_daily_volume"][0]
    result = simulate(
        *card_args(case), "--period", case["period"], "--stock", str(GOLDEN / case["stock_ledger"])
    )
    (line,) = result["lines"]
    assert line["amount"] == case["expected"]["fee"]
    assert Decimal(line["quantity"]) == Decimal(case["expected"]["cbm_days"])


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES["weight_step"], ids=lambda c: f"{c['rate_card']}-{c['weight_kg']}kg")
def test_weight_step_golden_cases_from_an_outbound_file(case, tmp_path):
    outbound = write(
        tmp_path / "outbound.csv",
        "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds",
        f"LP0001,2016-06-15,WH1,shop,{case['weight_kg']},{case['sku_kinds']}",
    )
    result = simulate(*card_args(case), "--period", "2016-06", "--outbound", outbound)
    assert [line["amount"] for line in result["lines"]] == [case["expected"]]
    assert result["total"] == case["expected"]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES["cross_border_tax"], ids=lambda c: c["source"][:20])
def test_cross_border_tax_golden_case_is_a_pass_through_line(case, tmp_path):
    tax = write(
        tmp_path / "tax.csv",
        "order_no,date,warehouse,seller,dutiable_value,tariff_rate,consumption_tax_rate,vat_rate",
        f"T1,2016-06-02,WH1,shop,{case['dutiable_value']},{case['tariff_rate']},"
        f"{case['consumption_tax_rate']},{case['vat_rate']}",
    )
    result = simulate(*card_args(case), "--period", "2016-06", "--tax", tax)
    (line,) = result["lines"]
    assert line["amount"] == case["expected"]["payable"]
    assert line["section"] == "pass_through"
    assert result["sections"]["pass_through"] == case["expected"]["payable"]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES["tiered_per_kg"], ids=lambda c: f"{c['rate_card']}-{c['currency']}")
def test_tiered_per_kg_golden_cases_from_an_inbound_file(case, tmp_path):
    line_name = case["rate_card"].removeprefix("vn-")
    inbound = write(
        tmp_path / "inbound.csv",
        "date,warehouse,seller,line,packages,weight_kg",
        f"2026-10-03,VNW,shop,{line_name},{case['packages']},{case['weight_kg']}",
    )
    result = simulate(*card_args(case), "--period", "2026-10", "--inbound", inbound)
    assert [line["amount"] for line in result["lines"]] == [case["expected"]]


def receiving_file(tmp_path: Path, case: dict) -> str:
    freight = case.get("freight_rate_per_kg", "2400" if case["service"].startswith("crate") else "")
    return write(
        tmp_path / "receiving.csv",
        "date,warehouse,seller,service,units,unit_value_cny,volume_m3,freight_rate_per_kg",
        f"2026-10-05,VNW,shop,{case['service']},{case.get('units', '')},{case.get('unit_value_cny', '')},"
        f"{case.get('volume_m3', '')},{freight}",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    CASES["piece_tier"] + CASES["size_code"],
    ids=lambda c: f"{c['service']}-{c.get('units', c.get('volume_m3'))}",
)
def test_receiving_service_golden_cases(case, tmp_path):
    args = [*card_args(case), "--period", "2026-10", "--receiving", receiving_file(tmp_path, case)]
    if case["expected"] == "error":
        with pytest.raises(CommandError, match="M3.*not offered|not offered.*M3"):
            simulate(*args)
        return
    result = simulate(*args)
    assert [line["amount"] for line in result["lines"]] == [case["expected"]]


@pytest.mark.django_db
def test_unknown_rate_card_is_refused_naming_the_known_ones():
    with pytest.raises(CommandError, match="unknown rate card 'no-such-card'.*cainiao-bonded"):
        simulate(
            "--rate-card",
            "no-such-card",
            "--period",
            "2016-06",
            "--stock",
            str(GOLDEN / "cainiao_overseas_2016-06_utf8.csv"),
        )


@pytest.mark.django_db
def test_a_card_in_two_currencies_needs_the_currency(tmp_path):
    with pytest.raises(CommandError, match="exists in CNY, VND: choose one with --currency"):
        simulate(
            "--rate-card",
            "vn-lot",
            "--period",
            "2016-06",
            "--stock",
            str(GOLDEN / "cainiao_overseas_2016-06_utf8.csv"),
        )


@pytest.mark.django_db
def test_a_period_with_no_data_is_refused():
    with pytest.raises(CommandError, match="no ledger data for 2016-07"):
        simulate(
            "--rate-card",
            "cainiao-overseas",
            "--period",
            "2016-07",
            "--stock",
            str(GOLDEN / "cainiao_overseas_2016-06_utf8.csv"),
        )


@pytest.mark.django_db
def test_a_bad_file_names_row_column_and_reason(tmp_path):
    outbound = write(
        tmp_path / "outbound.csv",
        "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds",
        "A1,2016-06-01,WH1,shop,1.5,1",
        "A2,2016-06-31,WH1,shop,-2,1",
    )
    with pytest.raises(CommandError) as raised:
        simulate("--rate-card", "tmall-import", "--period", "2016-06", "--outbound", outbound)
    message = str(raised.value)
    assert "row 3" in message and "ship_date" in message and "weight_kg" in message


@pytest.mark.django_db
def test_rows_no_rule_bills_are_refused(tmp_path):
    inbound = write(
        tmp_path / "inbound.csv",
        "date,warehouse,seller,line,packages,weight_kg",
        "2016-06-03,VNW,shop,general,1,10",
    )
    with pytest.raises(CommandError) as raised:
        simulate("--rate-card", "cainiao-overseas", "--period", "2016-06", "--inbound", inbound)
    assert str(raised.value) == (
        "the rate card has no rule for the inbound ledger and does not list it as not billed (1 rows given)"
    )


def run_command(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url_for_workers()}
    return subprocess.run(
        [sys.executable, "manage.py", "simulate_invoice", *args, "--format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


OUTBOUND_2016_06 = (
    "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds",
    "LP1,2016-06-15,WH1,123旗舰店,3.5,1",
)


@pytest.mark.django_db
def test_tmall_import_reports_stock_rows_as_not_billed_and_exits_0(tmp_path):
    """SPEC §9: tmall-import bills no storage and lists stock as a kind it does not bill."""
    outbound = write(tmp_path / "outbound.csv", *OUTBOUND_2016_06)
    stock = str(GOLDEN / "cainiao_overseas_2016-06_utf8.csv")
    proc = run_command(
        "--rate-card", "tmall-import", "--period", "2016-06", "--stock", stock, "--outbound", outbound
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["not_billed"] == ["stock"]
    assert [(line["code"], line["amount"]) for line in result["lines"]] == [("delivery_fee", "52.00")]
    assert result["sections"]["storage"] == "0.00" and result["total"] == "52.00"
    alone = simulate("--rate-card", "tmall-import", "--period", "2016-06", "--stock", stock)
    assert (alone["lines"], alone["not_billed"], alone["total"]) == ([], ["stock"], "0.00")


@pytest.mark.django_db
def test_a_card_that_neither_prices_nor_lists_a_kind_exits_1_naming_it(tmp_path):
    outbound = write(tmp_path / "outbound.csv", *OUTBOUND_2016_06)
    stock = str(GOLDEN / "cainiao_overseas_2016-06_utf8.csv")
    proc = run_command(
        "--rate-card",
        "vn-lot",
        "--currency",
        "VND",
        "--period",
        "2016-06",
        "--stock",
        stock,
        "--outbound",
        outbound,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == (
        "CommandError: the rate card has no rule for the stock ledger and does not list it as not billed "
        "(30 rows given)\n"
    )


@pytest.mark.django_db
def test_a_priced_card_reports_nothing_as_not_billed():
    result = simulate(
        "--rate-card",
        "cainiao-overseas",
        "--period",
        "2016-06",
        "--stock",
        str(GOLDEN / "cainiao_overseas_2016-06_utf8.csv"),
    )
    assert result["not_billed"] == []


@pytest.mark.django_db
def test_japanese_sample_card_adds_consumption_tax_once(tmp_path):
    outbound = write(
        tmp_path / "outbound.csv",
        "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds,units,carrier,length_mm,width_mm,height_mm",
        "J1,2026-10-01,JP1,shop,1.2,1,1,yamato,250,200,100",
        "J2,2026-10-02,JP1,shop,3.0,2,3,yamato,400,300,200",
    )
    result = simulate("--rate-card", "linkstar-jp-sample", "--period", "2026-10", "--outbound", outbound)
    subtotal = Decimal(result["subtotal"])
    assert result["currency"] == "JPY" and subtotal > 0
    assert Decimal(result["service_tax"]) == (subtotal * Decimal("0.10")).quantize(
        Decimal(1), rounding="ROUND_HALF_UP"
    )
    assert Decimal(result["total"]) == subtotal + Decimal(result["service_tax"])
    assert sum(Decimal(line["amount"]) for line in result["lines"]) == subtotal


@pytest.mark.django_db
def test_the_command_line_exits_1_on_bad_input(tmp_path):
    missing = tmp_path / "missing.csv"
    env = {**os.environ, "DATABASE_URL": database_url_for_workers()}
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "simulate_invoice",
            "--rate-card",
            "cainiao-overseas",
            "--period",
            "2016-06",
            "--stock",
            str(missing),
            "--format",
            "json",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "missing.csv" in proc.stderr and proc.stdout == ""
