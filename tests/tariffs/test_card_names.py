"""The preset rate cards' names in the reader's language, and the quote page in Chinese (issue 12)."""

import pytest
from django.urls import reverse
from django.utils import translation

from tariffs.models import RateCard
from tariffs.preset_data import PRESET_CARDS
from tests.factories import ContractFactory, preset_card
from tests.message_translations import translated  # noqa: F401


@pytest.mark.django_db
def test_every_preset_card_has_its_name_in_chinese_japanese_and_vietnamese():
    cards = {(card.code, card.currency): card for card in RateCard.objects.all()}
    for preset in PRESET_CARDS:
        card = cards[(preset.code, preset.currency)]
        assert set(card.names) == {"zh-hans", "ja", "vi"}, preset.code
        assert card.names == preset.names
    vn = cards[("vn-lot", "VND")]
    assert vn.localized_name("vi") == "Kho Trung Quốc, Line lô (VND)"
    assert vn.localized_name("zh-hans") == "中国仓·整批专线（VND）"


@pytest.mark.django_db
def test_localized_name_follows_the_active_language_and_falls_back_to_the_name():
    card = preset_card("cainiao-bonded")
    assert card.localized_name("ja") == "菜鳥（Cainiao）保税倉庫"
    with translation.override("zh-hans"):
        assert card.localized_name() == "菜鸟保税"
    with translation.override("en"):
        assert card.localized_name() == "Cainiao bonded warehouse"
    card.names = {}
    assert card.localized_name("vi") == "Cainiao bonded warehouse"


@pytest.mark.django_db
@pytest.mark.usefixtures("translated")
def test_the_quote_page_speaks_chinese_card_name_line_and_formula(owner_client, owner):
    contract = ContractFactory(seller=owner.seller, rate_card=preset_card("cainiao-bonded"))
    response = owner_client.get(
        reverse("tariffs:quote"),
        {
            "contract": contract.pk,
            "mode": "parcel",
            "period": "2026-10",
            "weight_kg": "3.5",
            "length_cm": "30",
            "width_cm": "20",
            "height_cm": "10",
            "sku_kinds": "2",
            "units": "1",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    page = response.content.decode()
    [line] = response.context["computation"].lines
    assert line.description == "1 parcel charged at 4 kg"  # the preset groups parcels of one fee (SPEC §2)
    assert "1 个包裹，按 4 公斤计费" in page
    assert "菜鸟保税 · v1" in page
    assert "13 + 3 × (4 − 1) = 22.00" in page
