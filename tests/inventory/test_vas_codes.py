"""VAS service codes come from rate cards (issue 11): `simulate_invoice`, which reads files with no
warehouse, checks them against the chosen card's rules (the engine refuses a row no rule prices)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

VAS = (
    "date,warehouse,seller,service_code,quantity,amount,reference\n"
    "2026-10-02,JP1,shop,Receiving_Carton,3,,IN-1\n"
)


def simulate(tmp_path, *args: str) -> dict:
    import json

    path = tmp_path / "vas.csv"
    path.write_text(VAS, encoding="utf-8")
    out = StringIO()
    call_command("simulate_invoice", *args, "--period", "2026-10", "--vas", str(path), stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_simulate_bills_a_code_the_chosen_card_prices(tmp_path):
    result = simulate(tmp_path, "--rate-card", "linkstar-jp-sample")
    (line,) = result["lines"]
    assert (line["code"], Decimal(line["quantity"]), Decimal(line["amount"])) == (
        "receiving.receiving_carton",
        Decimal(3),
        Decimal(900),
    )


@pytest.mark.django_db
def test_simulate_refuses_a_code_the_chosen_card_does_not_price(tmp_path):
    with pytest.raises(CommandError, match="unknown service code 'receiving_carton'"):
        simulate(tmp_path, "--rate-card", "cainiao-bonded")
