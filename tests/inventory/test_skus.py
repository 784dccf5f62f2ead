"""SKU catalog pages: list with readiness per destination, filters, create/edit, detail, certificates
(SPEC §4, §13)."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from inventory.models import Certificate, Sku
from tests.factories import CertificateFactory, SkuFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PSE_MISSING = "valid PSE certificate (electrical product)"


def row_of(content: str, code: str) -> str:
    match = re.search(rf'<tr[^>]*data-sku="{re.escape(code)}"[^>]*>(.*?)</tr>', content, re.S)
    assert match, f"{code} is not listed"
    return match.group(1)


def badges(content: str, code: str) -> dict[str, tuple[str, str]]:
    """destination -> (status, title) of a listed SKU's readiness badges."""
    found = re.findall(
        r'<span class="badge [^"]*readiness" title="([^"]*)" data-destination="(\w+)" data-status="(\w+)"',
        row_of(content, code),
    )
    return {destination: (status, html.unescape(title)) for title, destination, status in found}


def listed_codes(content: str) -> list[str]:
    return re.findall(r'<tr[^>]*data-sku="([^"]+)"', content)


def sku_list(client, **params):
    response = client.get(reverse("inventory:sku-list"), params)
    assert response.status_code == 200
    return response.content.decode()


def form_data(**overrides):
    data = {
        "code": "LAMP-01",
        "name_zh": "台灯",
        "name_en": "Desk lamp",
        "name_ja": "デスクランプ",
        "material": "ABS",
        "category": "electronics",
        "hs_code": "940520",
        "declared_value": "18.50",
        "declared_currency": "USD",
        "net_weight_g": "820",
        "length_mm": "300",
        "width_mm": "200",
        "height_mm": "150",
        "units_per_carton": "12",
        "carton_length_mm": "620",
        "carton_width_mm": "410",
        "carton_height_mm": "320",
        "barcode": "6901234567892",
        "fnsku": "X00ABCDEFG",
        "is_electrical": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- list and readiness ------------------------------------------------------------------------------


def test_electrical_sku_is_blocked_for_japan_until_a_valid_pse_certificate_is_added(owner_client, owner):
    sku = SkuFactory(seller=owner.seller, code="LAMP-01", is_electrical=True)
    CertificateFactory(sku=sku, kind="CE", number="CE-1")
    CertificateFactory(
        sku=sku, kind="PSE", number="PSE-OLD", expires_on=timezone.localdate() - timedelta(days=1)
    )

    before = badges(sku_list(owner_client), "LAMP-01")
    assert before["JP"] == ("blocked", f"JP: missing {PSE_MISSING}")  # the expired PSE does not count
    assert before["EU"][0] == "ready" and before["GB"][0] == "ready" and before["US"][0] == "ready"

    CertificateFactory(sku=sku, kind="PSE", number="PSE-NEW", expires_on=timezone.localdate())
    after = badges(sku_list(owner_client), "LAMP-01")
    assert after["JP"] == ("ready", "JP: ready")


def test_badge_title_lists_exactly_what_is_missing(owner_client, owner):
    SkuFactory(
        seller=owner.seller, code="BARE", name_ja="", hs_code="", declared_value=None, has_battery=True
    )
    jp = badges(sku_list(owner_client), "BARE")["JP"]
    assert jp == (
        "blocked",
        "JP: missing HS code; declared value above 0; valid MSDS (battery, liquid or powder); "
        "Japanese product name",
    )


def test_filter_by_destination_and_status_returns_exactly_the_matching_skus(owner_client, owner):
    pse_ok = SkuFactory(seller=owner.seller, code="A-PSE-OK", is_electrical=True)
    CertificateFactory(sku=pse_ok, kind="PSE")
    SkuFactory(seller=owner.seller, code="B-NO-PSE", is_electrical=True)
    SkuFactory(seller=owner.seller, code="C-NO-NAME", name_ja="")
    SkuFactory(seller=owner.seller, code="D-PLAIN")
    SkuFactory(code="E-OTHER-SELLER", is_electrical=True)

    assert listed_codes(sku_list(owner_client, destination="JP", status="blocked")) == [
        "B-NO-PSE",
        "C-NO-NAME",
    ]
    assert listed_codes(sku_list(owner_client, destination="JP", status="ready")) == ["A-PSE-OK", "D-PLAIN"]
    # No CE certificate anywhere: every SKU is blocked for the EU, none is ready for all four.
    assert listed_codes(sku_list(owner_client, destination="EU", status="ready")) == []
    assert len(listed_codes(sku_list(owner_client, status="blocked"))) == 4


def test_search_and_category_filter(owner_client, owner):
    SkuFactory(seller=owner.seller, code="CUP-1", name_en="Tea cup", barcode="4901111", category="home")
    SkuFactory(seller=owner.seller, code="TOY-1", name_zh="积木", fnsku="X00TOYS", category="toys")
    assert listed_codes(sku_list(owner_client, q="4901111")) == ["CUP-1"]
    assert listed_codes(sku_list(owner_client, q="x00toys")) == ["TOY-1"]
    assert listed_codes(sku_list(owner_client, q="积木")) == ["TOY-1"]
    assert listed_codes(sku_list(owner_client, q="tea")) == ["CUP-1"]
    assert listed_codes(sku_list(owner_client, category="toys")) == ["TOY-1"]


def test_list_shows_only_the_sellers_own_skus_with_value_and_flags(owner_client, owner, other_owner):
    SkuFactory(
        seller=owner.seller,
        code="MINE",
        declared_value=Decimal("1200"),
        declared_currency="JPY",
        has_battery=True,
    )
    SkuFactory(seller=other_owner.seller, code="THEIRS")
    content = sku_list(owner_client)
    assert listed_codes(content) == ["MINE"]
    row = row_of(content, "MINE")
    assert "JPY 1,200" in row
    assert 'title="contains battery"' in row


def test_list_is_paginated_by_25_and_sortable(owner_client, owner):
    for n in range(30):
        SkuFactory(seller=owner.seller, code=f"S-{n:02d}")
    assert listed_codes(sku_list(owner_client)) == [f"S-{n:02d}" for n in range(25)]
    assert listed_codes(sku_list(owner_client, page=2)) == [f"S-{n:02d}" for n in range(25, 30)]
    assert listed_codes(sku_list(owner_client, sort="-code"))[:2] == ["S-29", "S-28"]


@pytest.mark.parametrize("count", [3, 60])
@pytest.mark.parametrize(
    "params,queries",
    [
        ({}, 9),  # session, user, membership, seller, rules, catalog exists, count, page, certificates
        ({"destination": "JP", "status": "ready", "q": "SKU"}, 11),  # + SKUs and certificates to filter
    ],
)
def test_list_query_count_does_not_grow_with_skus(
    owner_client, owner, django_assert_max_num_queries, count, params, queries
):
    for n in range(count):
        sku = SkuFactory(seller=owner.seller, is_electrical=n % 2 == 0)
        CertificateFactory(sku=sku, kind="PSE")
        CertificateFactory(sku=sku, kind="CE")
    with django_assert_max_num_queries(queries):
        content = sku_list(owner_client, **params)
    assert len(listed_codes(content)) == min(count, 25)


# --- create and edit ---------------------------------------------------------------------------------


def test_create_stores_every_field_for_the_session_seller(owner_client, owner, other_owner):
    response = owner_client.post(
        reverse("inventory:sku-create"), form_data(seller=str(other_owner.seller.pk), hs_code="9405.20")
    )
    sku = Sku.objects.get(code="LAMP-01")
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:sku-detail", args=[sku.pk]
    )
    assert sku.seller == owner.seller
    assert (sku.name_zh, sku.name_en, sku.name_ja, sku.material, sku.category) == (
        "台灯",
        "Desk lamp",
        "デスクランプ",
        "ABS",
        "electronics",
    )
    assert (sku.hs_code, sku.declared_value, sku.declared_currency) == ("940520", Decimal("18.50"), "USD")
    assert (sku.net_weight_g, sku.length_mm, sku.width_mm, sku.height_mm) == (Decimal("820"), 300, 200, 150)
    assert (sku.units_per_carton, sku.carton_length_mm, sku.carton_width_mm, sku.carton_height_mm) == (
        12,
        620,
        410,
        320,
    )
    assert (sku.barcode, sku.fnsku) == ("6901234567892", "X00ABCDEFG")
    assert (sku.is_electrical, sku.has_battery, sku.is_liquid, sku.is_powder, sku.is_fragile) == (
        True,
        False,
        False,
        False,
        False,
    )


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("hs_code", "12345", "An HS code has 6 to 10 digits."),
        ("hs_code", "12345678901", "An HS code has 6 to 10 digits."),
        ("hs_code", "3924AB", "An HS code has 6 to 10 digits."),
        ("length_mm", "0", "Ensure this value is greater than or equal to 1."),
        ("carton_width_mm", "-5", "Ensure this value is greater than or equal to"),
        ("net_weight_g", "0", "Ensure this value is greater than or equal to 0.1."),
        ("units_per_carton", "0", "Ensure this value is greater than or equal to 1."),
        ("declared_value", "0", "Ensure this value is greater than or equal to 0.01."),
        ("name_zh", "", "This field is required."),
    ],
)
def test_invalid_fields_get_their_message_and_nothing_is_stored(owner_client, field, value, message):
    response = owner_client.post(reverse("inventory:sku-create"), form_data(**{field: value}))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Sku.objects.exists()


def test_jpy_declared_value_has_no_decimals(owner_client):
    response = owner_client.post(
        reverse("inventory:sku-create"), form_data(declared_value="1200.50", declared_currency="JPY")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["declared_value"] == ["JPY amounts have no decimals."]


def test_a_code_the_seller_already_has_is_a_form_error_on_code(owner_client, owner, other_owner):
    SkuFactory(seller=owner.seller, code="LAMP-01")
    SkuFactory(seller=other_owner.seller, code="TAKEN-ELSEWHERE")
    response = owner_client.post(reverse("inventory:sku-create"), form_data())
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["You already have a SKU with this code."]
    assert Sku.objects.filter(seller=owner.seller).count() == 1
    # Another seller's code is no obstacle.
    response = owner_client.post(reverse("inventory:sku-create"), form_data(code="TAKEN-ELSEWHERE"))
    assert response.status_code == 302


def test_a_unique_violation_at_save_time_is_a_form_error_not_a_500(owner_client, owner, monkeypatch):
    from inventory.catalog.forms import SkuForm

    monkeypatch.setattr(SkuForm, "clean_code", lambda self: self.cleaned_data["code"])  # the race
    SkuFactory(seller=owner.seller, code="LAMP-01")
    response = owner_client.post(reverse("inventory:sku-create"), form_data())
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["You already have a SKU with this code."]


def test_edit_changes_the_sku_and_keeps_its_own_code(owner_client, owner):
    sku = SkuFactory(seller=owner.seller, code="LAMP-01")
    page = owner_client.get(reverse("inventory:sku-edit", args=[sku.pk]))
    assert page.status_code == 200 and 'value="LAMP-01"' in page.content.decode()
    response = owner_client.post(
        reverse("inventory:sku-edit", args=[sku.pk]), form_data(name_en="Desk lamp v2")
    )
    assert response.status_code == 302
    sku.refresh_from_db()
    assert sku.name_en == "Desk lamp v2" and sku.is_electrical


def test_another_sellers_sku_and_certificate_are_not_found(owner_client, other_owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    foreign = SkuFactory(seller=other_owner.seller)
    certificate = CertificateFactory(sku=foreign)
    certificate.file.save("pse.pdf", ContentFile(PDF))
    for name, pk in [
        ("sku-detail", foreign.pk),
        ("sku-edit", foreign.pk),
        ("certificate-file", certificate.pk),
    ]:
        assert owner_client.get(reverse(f"inventory:{name}", args=[pk])).status_code == 404
    for name, pk in [
        ("sku-detail", foreign.pk),
        ("sku-edit", foreign.pk),
        ("certificate-delete", certificate.pk),
    ]:
        assert owner_client.post(reverse(f"inventory:{name}", args=[pk]), form_data()).status_code == 404
    foreign.refresh_from_db()
    assert foreign.code != "LAMP-01" and Certificate.objects.filter(pk=certificate.pk).exists()


# --- detail and certificates -------------------------------------------------------------------------


def upload(client, sku, name, content, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"kind": "PSE", "number": "PSE-2026-01", "expires_on": "2030-01-31", **fields}
    data["file"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(reverse("inventory:sku-detail", args=[sku.pk]), data)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def test_detail_shows_fields_readiness_and_certificates(owner_client, owner):
    sku = SkuFactory(seller=owner.seller, code="LAMP-01", is_electrical=True, declared_currency="CNY")
    CertificateFactory(sku=sku, kind="CE", number="CE-778")
    content = owner_client.get(reverse("inventory:sku-detail", args=[sku.pk])).content.decode()
    assert "CNY 12.50" in content and "300 × 200 × 100 mm" in content and "CE-778" in content
    jp = re.search(r'data-destination="JP" data-status="(\w+)">(.*?)</li>', content, re.S)
    assert jp.group(1) == "blocked" and PSE_MISSING in jp.group(2)
    assert re.search(r'data-destination="EU" data-status="ready"', content)


def test_png_named_pdf_is_accepted_as_png_and_served_only_to_its_seller(
    owner_client, owner, settings, tmp_path, client, other_owner
):
    settings.MEDIA_ROOT = tmp_path
    sku = SkuFactory(seller=owner.seller, is_electrical=True)
    response = upload(owner_client, sku, "scan.pdf", PNG)
    assert response.status_code == 302
    certificate = sku.certificates.get()
    assert (certificate.kind, certificate.number, str(certificate.expires_on)) == (
        "PSE",
        "PSE-2026-01",
        "2030-01-31",
    )
    assert certificate.uploaded_by == owner.user
    assert re.fullmatch(r"certificates/\d{4}/\d{2}/[0-9a-f]{16}-scan\.png", certificate.file.name)
    assert [p.read_bytes() for p in stored_files(tmp_path)] == [PNG]

    download = owner_client.get(reverse("inventory:certificate-file", args=[certificate.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'inline; filename="scan.png"'
    assert b"".join(download.streaming_content) == PNG

    client.force_login(other_owner.user)
    assert client.get(reverse("inventory:certificate-file", args=[certificate.pk])).status_code == 404


def test_pdf_named_text_file_is_refused_and_nothing_is_stored(owner_client, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sku = SkuFactory(seller=owner.seller)
    response = upload(owner_client, sku, "certificate.pdf", b"This is not a PDF, only text.\n")
    assert response.status_code == 400
    assert response.context["certificate_form"].errors["file"] == [
        "Only PDF, JPEG or PNG files are accepted; this file's content is none of them."
    ]
    assert "Only PDF, JPEG or PNG files are accepted" in response.content.decode()
    assert not Certificate.objects.exists() and stored_files(tmp_path) == []


def test_oversize_upload_is_refused_and_nothing_is_stored(owner_client, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sku = SkuFactory(seller=owner.seller)
    response = upload(owner_client, sku, "big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    assert response.status_code == 400
    assert response.context["certificate_form"].errors["file"] == ["The file is larger than 10 MB."]
    assert not Certificate.objects.exists() and stored_files(tmp_path) == []


def test_a_certificate_needs_a_file_except_an_fda_registration(owner_client, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sku = SkuFactory(seller=owner.seller, category="food")
    url = reverse("inventory:sku-detail", args=[sku.pk])
    response = owner_client.post(url, {"kind": "PSE", "number": "P-1"})
    assert response.status_code == 400
    assert response.context["certificate_form"].errors["file"] == ["Attach the certificate file."]
    assert owner_client.post(url, {"kind": "FDA", "number": "FDA-12345678901"}).status_code == 302
    assert badges(sku_list(owner_client), sku.code)["US"][0] == "ready"


def test_delete_removes_the_certificate_and_its_file(
    owner_client, owner, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    sku = SkuFactory(seller=owner.seller)
    assert upload(owner_client, sku, "ce.pdf", PDF, kind="CE").status_code == 302
    certificate = sku.certificates.get()
    assert len(stored_files(tmp_path)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("inventory:certificate-delete", args=[certificate.pk]))
    assert response.status_code == 302
    assert not Certificate.objects.exists() and stored_files(tmp_path) == []


def test_seller_pages_need_a_login(client):
    response = client.get(reverse("inventory:sku-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
