"""One rate card version per month (SPEC §9): month bounds, no overlap, frozen versions stay frozen in
the model layer, and the kinds a version deliberately does not bill."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from tariffs.models import FeeRule, RateCard, RateCardVersion
from tariffs.rules import Period
from tariffs.selectors import version_in_force
from tariffs.services import copy_rate_card, duplicate_version, freeze_version, save_version
from tests.factories import preset_card


@pytest.fixture
def card(db) -> RateCard:
    return copy_rate_card(card=preset_card("cainiao-bonded"), code="bonded-copy")


@pytest.mark.django_db
def test_a_version_not_starting_on_the_first_is_refused(card):
    v1 = card.versions.get()
    with pytest.raises(ValidationError) as raised:
        duplicate_version(version=v1, valid_from=date(2026, 3, 15), today=date(2026, 3, 1))
    assert "first day of a month" in raised.value.message_dict["valid_from"][0]
    version = RateCardVersion(rate_card=card, version=9, valid_from=date(2030, 2, 2))
    with pytest.raises(ValidationError) as raised:
        save_version(version=version)
    assert raised.value.message_dict["valid_from"] == ["Must be the first day of a month (e.g. 2030-02-01)."]
    version.valid_from, version.valid_to = date(2030, 2, 1), date(2030, 2, 27)
    with pytest.raises(ValidationError) as raised:
        save_version(version=version)
    assert raised.value.message_dict["valid_to"] == ["Must be the last day of a month (or empty for no end)."]
    assert list(card.versions.values_list("version", "valid_to")) == [(1, None)]


@pytest.mark.django_db
def test_versions_of_a_card_never_overlap(card):
    v1 = card.versions.get()
    overlapping = RateCardVersion(rate_card=card, version=2, valid_from=date(2030, 1, 1))
    with pytest.raises(ValidationError) as raised:
        save_version(version=overlapping)
    assert raised.value.message_dict["valid_from"] == [
        f"Overlaps version 1 ({v1.valid_from} – open-ended): versions of a rate card never overlap, so "
        "exactly one prices a month."
    ]
    v2 = duplicate_version(version=v1, valid_from=date(2030, 1, 1), today=date(2029, 12, 5))
    v1.refresh_from_db()
    assert (v1.valid_to, v2.valid_from, v2.valid_to) == (date(2029, 12, 31), date(2030, 1, 1), None)
    with pytest.raises(ValidationError, match="Version 2 already takes effect on 2030-01-01"):
        duplicate_version(version=v1, valid_from=date(2029, 6, 1), today=date(2029, 5, 5))
    assert version_in_force(card, Period(2029, 12)) == v1
    assert version_in_force(card, Period(2030, 1)) == v2
    assert card.versions.count() == 2


@pytest.mark.django_db
def test_a_new_version_starts_on_the_first_of_next_month_by_default(card):
    v2 = duplicate_version(version=card.versions.get(), today=date(2026, 12, 17))
    assert v2.valid_from == date(2027, 1, 1)


@pytest.mark.django_db
def test_the_database_refuses_a_raw_overlapping_or_mid_month_version(card):
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL only")
    with pytest.raises(IntegrityError, match="rate_card_version_one_at_a_time"), transaction.atomic():
        RateCardVersion.objects.create(rate_card=card, version=2, valid_from=date(2030, 1, 1))
    with pytest.raises(IntegrityError, match="rate_card_version_month_bounds"), transaction.atomic():
        RateCardVersion.objects.create(
            rate_card=copy_rate_card(card=card, code="other"),
            version=2,
            valid_from=date(2000, 1, 1),
            valid_to=date(2000, 1, 30),
        )
    assert card.versions.count() == 1


@pytest.mark.django_db
def test_a_frozen_version_is_refused_in_the_model_layer_and_only_closed_by_a_new_version(card):
    v1 = card.versions.get()
    freeze_version(version=v1)
    for field, value in [("valid_from", date(2017, 1, 1)), ("not_billed_kinds", ["stock"])]:
        version = RateCardVersion.objects.get(pk=v1.pk)
        setattr(version, field, value)
        with pytest.raises(ValidationError, match="frozen"):
            version.save()
    with pytest.raises(ValidationError, match="frozen"):
        RateCardVersion.objects.get(pk=v1.pk).delete()
    with pytest.raises(ValidationError, match="frozen"):
        duplicate_version(version=v1, valid_from=date(2026, 1, 1), today=date(2026, 3, 5))
    v2 = duplicate_version(version=v1, valid_from=date(2026, 4, 1), today=date(2026, 3, 5))
    v1.refresh_from_db()
    assert (v1.valid_from, v1.valid_to, v1.not_billed_kinds, v1.is_frozen) == (
        date(2016, 1, 1),
        date(2026, 3, 31),
        [],
        True,
    )
    v1.valid_to = date(2026, 5, 31)  # a frozen end stays where it is
    with pytest.raises(ValidationError, match="frozen"):
        v1.save()
    assert v2.rules.count() == v1.rules.count()


@pytest.mark.django_db
def test_tmall_import_lists_stock_as_not_billed():
    assert preset_card("tmall-import").versions.get().not_billed_kinds == ["stock"]
    assert preset_card("cainiao-bonded").versions.get().not_billed_kinds == []


@pytest.mark.django_db
def test_not_billed_kinds_are_validated(card):
    version = card.versions.get()
    version.not_billed_kinds = ["stock", "parcels"]
    with pytest.raises(ValidationError) as raised:
        version.full_clean()
    assert raised.value.message_dict["not_billed_kinds"] == [
        "Unknown ledger kind: parcels (known: stock, outbound, vas, tax, inbound, receiving)."
    ]
    version.not_billed_kinds = ["stock"]  # the bonded card bills storage
    with pytest.raises(ValidationError) as raised:
        version.full_clean()
    assert raised.value.message_dict["not_billed_kinds"] == [
        "This version has rules for stock: it bills them."
    ]
    version.not_billed_kinds = ["receiving", "inbound", "receiving"]
    version.full_clean()
    assert version.not_billed_kinds == ["inbound", "receiving"]


@pytest.mark.django_db
def test_a_rule_for_a_kind_listed_as_not_billed_is_refused():
    version = preset_card("tmall-import").versions.get()
    rule = FeeRule(
        version=version,
        kind="storage_daily_volume",
        charge_code="storage",
        params={"price_per_cbm_day": "3"},
    )
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert "lists the stock ledger as not billed" in raised.value.message_dict["kind"][0]


@pytest.mark.django_db
def test_copies_keep_the_kinds_not_billed():
    tmall = preset_card("tmall-import")
    copy = copy_rate_card(card=tmall, code="tmall-copy")
    assert copy.versions.get().not_billed_kinds == ["stock"]
    v2 = duplicate_version(version=tmall.versions.get(), valid_from=date(2030, 1, 1), today=date(2029, 1, 1))
    assert v2.not_billed_kinds == ["stock"]


@pytest.mark.django_db
def test_admin_refuses_a_mid_month_version_and_saves_a_valid_one(admin_client, card):
    from django.urls import reverse

    post = {
        "rate_card": card.pk,
        "version": "2",
        "valid_from": "2030-01-15",
        "valid_to": "",
        "not_billed_kinds": "[]",
        "notes": "",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
    }
    url = reverse("admin:tariffs_ratecardversion_add")
    response = admin_client.post(url, post)
    assert response.context["adminform"].form.errors["valid_from"] == [
        "Must be the first day of a month (e.g. 2030-01-01)."
    ]
    response = admin_client.post(url, {**post, "valid_from": "2030-01-01"})
    assert "Overlaps version 1" in str(response.context["adminform"].form.errors["valid_from"])
    card.versions.filter(version=1).update(valid_to=date(2029, 12, 31))
    response = admin_client.post(url, {**post, "valid_from": "2030-01-01", "not_billed_kinds": '["tax"]'})
    assert response.status_code == 302
    assert card.versions.get(version=2).not_billed_kinds == ["tax"]
