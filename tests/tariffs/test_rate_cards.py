"""Rate cards as data: presets, parameter validation, frozen versions, new versions, diff (SPEC §7, §8)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tariffs.diff import diff_versions
from tariffs.models import FeeRule, RateCard, RateCardVersion
from tariffs.services import duplicate_version, freeze_version

PRESETS = {
    ("cainiao-bonded", "CNY"),
    ("tmall-import", "CNY"),
    ("cainiao-overseas", "CNY"),
    ("vn-ecommerce", "VND"),
    ("vn-ecommerce", "CNY"),
    ("vn-general", "VND"),
    ("vn-general", "CNY"),
    ("vn-lot", "VND"),
    ("vn-lot", "CNY"),
    ("linkstar-jp-sample", "JPY"),
}


@pytest.mark.django_db
def test_the_spec_presets_are_loaded_with_stable_codes():
    assert set(RateCard.objects.values_list("code", "currency")) == PRESETS
    jp = RateCard.objects.get(code="linkstar-jp-sample")
    assert jp.service_tax_rate == Decimal("0.1000") and jp.is_sample
    bonded = RateCard.objects.get(code="cainiao-bonded").versions.get(version=1)
    assert sorted(bonded.rules.values_list("kind", flat=True)) == [
        "cross_border_tax",
        "per_unit",
        "storage_daily_volume",
        "weight_step",
    ]


def bonded_v1() -> RateCardVersion:
    return RateCard.objects.get(code="cainiao-bonded").versions.get(version=1)


@pytest.mark.django_db
def test_a_bad_parameter_is_refused_with_the_field_named():
    rule = FeeRule(
        version=bonded_v1(),
        kind="weight_step",
        charge_code="x",
        params={"first_kg": "1", "first_price": "13", "step_kg": "0", "step_price": "3"},
    )
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert "step_kg" in raised.value.message_dict["params"][0]


@pytest.mark.django_db
def test_customs_tax_may_not_be_billed_as_a_service():
    rule = FeeRule(
        version=bonded_v1(),
        kind="cross_border_tax",
        charge_code="tax2",
        section="services",
        params={"discount": "0.7", "tariff_factor": "0"},
    )
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert "section" in raised.value.message_dict


@pytest.mark.django_db
def test_a_frozen_version_refuses_rule_changes():
    version = bonded_v1()
    freeze_version(version=version)
    rule = version.rules.get(charge_code="service_fee")
    rule.description = "changed"
    with pytest.raises(ValidationError, match="frozen"):
        rule.save()
    with pytest.raises(ValidationError, match="frozen"):
        rule.delete()
    assert version.rules.get(charge_code="service_fee").description != "changed"


@pytest.mark.django_db
def test_duplicate_makes_the_next_version_and_the_diff_shows_the_change(admin_user):
    old = bonded_v1()
    freeze_version(version=old)
    new = duplicate_version(version=old, created_by=admin_user, valid_from=date(2026, 12, 1))
    assert (new.version, new.rules.count(), new.is_frozen) == (2, old.rules.count(), False)
    rule = new.rules.get(charge_code="service_fee")
    rule.params = {**rule.params, "step_price": "3.5"}
    rule.full_clean()
    rule.save()
    changed = [d for d in diff_versions(old, new) if d.status == "changed"]
    assert [(d.charge_code, [(c.path, c.old, c.new) for c in d.changes]) for d in changed] == [
        ("service_fee", [("step_price", "3", "3.5")])
    ]
    card = old.rate_card
    assert card.version_for(date(2026, 11, 1), date(2026, 11, 30)) == old
    assert card.version_for(date(2026, 12, 1), date(2026, 12, 31)) == new


@pytest.mark.django_db
def test_admin_duplicate_action_and_diff_page(admin_client):
    version = bonded_v1()
    response = admin_client.post(
        reverse("admin:tariffs_ratecardversion_changelist"),
        {"action": "duplicate_as_new_version", "_selected_action": [version.pk]},
    )
    new = RateCardVersion.objects.get(rate_card=version.rate_card, version=2)
    assert response.status_code == 302 and response["Location"].endswith(f"/{new.pk}/change/")
    page = admin_client.get(
        reverse("admin:tariffs_ratecard_diff", args=[version.rate_card.pk]), {"a": 1, "b": 2}
    )
    assert page.status_code == 200
    assert [d.status for d in page.context["diff"]] == ["same"] * version.rules.count()


@pytest.mark.django_db
def test_admin_change_pages_of_every_tariff_model_render(admin_client):
    version = bonded_v1()
    for url in (
        reverse("admin:tariffs_ratecard_change", args=[version.rate_card.pk]),
        reverse("admin:tariffs_ratecardversion_change", args=[version.pk]),
        reverse("admin:tariffs_feerule_changelist") + "?kind=weight_step",
        reverse("admin:tariffs_contract_changelist"),
        reverse("admin:portal_warehouse_changelist"),
    ):
        assert admin_client.get(url).status_code == 200, url
