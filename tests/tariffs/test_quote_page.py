"""The seller's quote page prices a parcel or a month of storage with its own rate cards (issue 4)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ContractFactory, preset_card


@pytest.fixture
def contract(owner):
    return ContractFactory(seller=owner.seller, rate_card=preset_card("cainiao-bonded"))


PARCEL = {
    "mode": "parcel",
    "period": "2026-10",
    "weight_kg": "3.5",
    "length_cm": "30",
    "width_cm": "20",
    "height_cm": "10",
    "sku_kinds": "2",
    "units": "1",
}


@pytest.mark.django_db
def test_parcel_quote_shows_the_seed_example_with_its_formula(owner_client, contract):
    response = owner_client.get(reverse("tariffs:quote"), {"contract": contract.pk, **PARCEL})
    computation = response.context["computation"]
    assert [(line.amount, line.formula) for line in computation.lines] == [
        (Decimal("22.00"), "13 + 3 × (4 − 1) = 22.00")
    ]
    assert "CNY 22.00" in response.content.decode()


@pytest.mark.django_db
def test_quote_chart_never_falls_as_weight_grows(owner_client, contract):
    import json
    from decimal import Decimal

    response = owner_client.get(reverse("tariffs:quote"), {"contract": contract.pk, **PARCEL})
    values = [Decimal(v) for v in json.loads(response.context["chart_json"])["values"]]
    assert values[0] == Decimal("13.00") and values == sorted(values) and len(values) == 60


@pytest.mark.django_db
def test_storage_quote_uses_the_turnover_rule(owner_client, owner):
    contract = ContractFactory(seller=owner.seller, rate_card=preset_card("cainiao-overseas"))
    response = owner_client.get(
        reverse("tariffs:quote"),
        {
            "contract": contract.pk,
            "mode": "storage",
            "period": "2016-06",
            "avg_volume_m3": "1.1726",
            "avg_stock_units": "82",
            "avg_daily_sales": "0",
        },
    )
    (line,) = response.context["computation"].lines
    assert str(line.amount) == "344.74"


@pytest.mark.django_db
def test_htmx_request_gets_only_the_result_fragment(owner_client, contract):
    response = owner_client.get(
        reverse("tariffs:quote"), {"contract": contract.pk, **PARCEL}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "quote-lines" in body and "<html" not in body


@pytest.mark.django_db
def test_another_sellers_contract_cannot_be_quoted(owner_client, other_owner):
    foreign = ContractFactory(seller=other_owner.seller)
    response = owner_client.get(reverse("tariffs:quote"), {"contract": foreign.pk, **PARCEL})
    assert "computation" not in response.context
    assert response.context["form"].errors["contract"]


@pytest.mark.django_db
def test_a_card_without_parcel_fees_says_so(owner_client, owner):
    contract = ContractFactory(seller=owner.seller, rate_card=preset_card("vn-lot", "VND"))
    response = owner_client.get(reverse("tariffs:quote"), {"contract": contract.pk, **PARCEL})
    assert "this rate card has no parcel fees" in response.content.decode()


@pytest.mark.django_db
def test_missing_inputs_of_the_chosen_mode_are_named(owner_client, contract):
    response = owner_client.get(
        reverse("tariffs:quote"), {"contract": contract.pk, "mode": "parcel", "period": "2026-10"}
    )
    assert set(response.context["form"].errors) >= {"weight_kg", "sku_kinds"}


@pytest.mark.django_db
def test_rate_card_page_lists_the_rules_with_their_parameters(owner_client, contract):
    response = owner_client.get(reverse("tariffs:rate-card", args=[contract.rate_card.pk]))
    rules = {rule.charge_code: params for rule, params in response.context["rules"]}
    assert rules["service_fee"]["first_price"] == "13" and rules["service_fee"]["sku_free"] == 4
    assert "storage_daily_volume" in response.content.decode()


@pytest.mark.django_db
def test_the_month_picks_the_contract_in_force_on_the_line(owner_client, owner):
    """Two successive contracts on one line: one entry to choose, and the month decides the card."""
    from datetime import date

    from tariffs.services import change_contract, create_contract

    old = ContractFactory(seller=owner.seller, rate_card=preset_card("cainiao-bonded"))
    change_contract(contract=old, ends_on=date(2026, 6, 30))
    new = create_contract(
        seller=owner.seller,
        service_line=old.service_line,
        rate_card=preset_card("tmall-import"),
        starts_on=date(2026, 7, 1),
    )
    page = owner_client.get(reverse("tariffs:quote"))
    assert [value for value, _label in page.context["form"].fields["contract"].choices] == [str(new.pk)]

    def quoted(month):
        response = owner_client.get(reverse("tariffs:quote"), {"contract": new.pk, **PARCEL, "period": month})
        if "computation" not in response.context:
            return response.context["form"].errors["period"]
        lines = response.context["computation"].lines
        return response.context["contract"], [str(line.amount) for line in lines]

    assert quoted("2026-05") == (old, ["22.00"])
    assert quoted("2026-10") == (new, ["52.00"])
    assert quoted("2015-12") == [f"{owner.seller.code} has no contract on {old.service_line} in 2015-12"]
