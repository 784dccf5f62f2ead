"""Inbound replenishment orders through the six-step flow (SPEC §5, issue 5)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inventory.inbound import services, workflow
from inventory.models import InboundOrder, OrderEvent, ReceivingDiscrepancy, StockLevel
from tests.factories import (
    CertificateFactory,
    ContractFactory,
    ServiceLineFactory,
    SkuFactory,
    WarehouseFactory,
    preset_card,
)

S = InboundOrder.State


@pytest.fixture
def jp_warehouse(db):
    return WarehouseFactory(country="JP", currency="JPY", code="JP-TEST")


@pytest.fixture
def jp_contract(owner, jp_warehouse):
    line = ServiceLineFactory(warehouse=jp_warehouse)
    return ContractFactory(
        seller=owner.seller, service_line=line, rate_card=preset_card("linkstar-jp-sample", "JPY")
    )


def carton_post(sku, **overrides):
    data = {
        "order-warehouse": overrides.pop("warehouse"),
        "order-trade_term": "DDP",
        "order-shipping_mode": "sea_lcl",
        "cartons-TOTAL_FORMS": "3",
        "cartons-INITIAL_FORMS": "0",
        "cartons-MIN_NUM_FORMS": "0",
        "cartons-MAX_NUM_FORMS": "50",
        "cartons-0-sku": sku.pk,
        "cartons-0-cartons": "3",
        "cartons-0-units_per_carton": "20",
        "cartons-0-length_mm": "600",
        "cartons-0-width_mm": "400",
        "cartons-0-height_mm": "420",
        "cartons-0-gross_weight_kg": "8.50",
        "cartons-0-batch_no": "B2611",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_seller_creates_a_draft_with_cartons(owner_client, owner, jp_contract, jp_warehouse):
    sku = SkuFactory(seller=owner.seller)
    response = owner_client.post(
        reverse("inventory:order-create"), carton_post(sku, warehouse=jp_warehouse.pk)
    )
    order = InboundOrder.objects.get(seller=owner.seller)
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:order-detail", args=[order.pk]
    )
    assert order.state == S.DRAFT
    assert [
        (c.carton_id, [(line.sku, line.units) for line in c.lines.all()]) for c in order.cartons.all()
    ] == [(f"{order.number}-C00{i}", [(sku, 20)]) for i in (1, 2, 3)]


@pytest.mark.django_db
def test_bad_carton_input_names_the_field_and_creates_nothing(owner_client, owner, jp_contract, jp_warehouse):
    sku = SkuFactory(seller=owner.seller)
    response = owner_client.post(
        reverse("inventory:order-create"),
        carton_post(sku, warehouse=jp_warehouse.pk, **{"cartons-0-gross_weight_kg": "-1"}),
    )
    assert response.status_code == 400
    assert "gross_weight_kg" in response.context["formset"].errors[0]
    assert not InboundOrder.objects.exists()


@pytest.mark.django_db
def test_another_sellers_sku_cannot_be_put_in_a_carton(
    owner_client, owner, other_owner, jp_contract, jp_warehouse
):
    foreign = SkuFactory(seller=other_owner.seller)
    response = owner_client.post(
        reverse("inventory:order-create"), carton_post(foreign, warehouse=jp_warehouse.pk)
    )
    assert response.status_code == 400
    assert not InboundOrder.objects.exists()


@pytest.mark.django_db
def test_submission_is_refused_while_a_sku_lacks_compliance_and_names_what(
    owner_client, owner, jp_contract, jp_warehouse, sent_mail
):
    kettle = SkuFactory(seller=owner.seller, code="KETTLE-1", is_electrical=True, name_ja="")
    owner_client.post(reverse("inventory:order-create"), carton_post(kettle, warehouse=jp_warehouse.pk))
    order = InboundOrder.objects.get()
    response = owner_client.post(reverse("inventory:order-submit", args=[order.pk]), follow=True)
    text = [str(m) for m in response.context["messages"]]
    assert "SKU KETTLE-1 lacks valid PSE certificate (electrical product) for JP." in text
    assert "SKU KETTLE-1 lacks Japanese product name for JP." in text
    order.refresh_from_db()
    assert order.state == S.DRAFT and not order.estimate

    CertificateFactory(sku=kettle, kind="PSE", expires_on=date(2020, 1, 1))  # expired: does not count
    kettle.name_ja = "電気ケトル"
    kettle.save()
    owner_client.post(reverse("inventory:order-submit", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == S.DRAFT

    CertificateFactory(sku=kettle, kind="PSE", expires_on=date(2031, 1, 1))
    sent_mail().clear()
    owner_client.post(reverse("inventory:order-submit", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == S.SUBMITTED
    # The estimate: 3 cartons of 8.5 kg, 60 × 40 × 42 cm (16.8 kg chargeable each), receiving 300 JPY each.
    assert order.estimate["chargeable_weight_kg"] == "50.40"
    receiving = [fee for fee in order.estimate["fees"] if fee["label"] == "receiving"]
    assert [fee["amount"] for fee in receiving] == ["900"]
    assert [fee["formula_text"]["id"] for fee in receiving] == ["formula.per_unit"]  # issue 12
    assert len(sent_mail()) == 1 and order.number in sent_mail()[0].subject


def submitted_order(owner, warehouse):
    sku = SkuFactory(seller=owner.seller)
    cartons = [services.CartonInput(600, 400, 420, Decimal("8.5"), (services.LineInput(sku, 20, "B1"),))] * 2
    order = services.create_order(seller=owner.seller, user=owner.user, warehouse=warehouse, cartons=cartons)
    return services.submit_order(order=order, user=owner.user)


TRANSIT = {
    "carrier": "COSCO",
    "tracking_number": "BL-778899",
    "etd": date(2026, 11, 2),
    "eta": date(2026, 11, 20),
}


@pytest.mark.django_db
def test_ops_move_an_order_through_every_step_and_receiving_creates_stock_and_discrepancies(
    owner, admin_user
):
    warehouse = WarehouseFactory(country="CN")
    order = submitted_order(owner, warehouse)
    with pytest.raises(ValidationError, match="Record carrier"):
        services.advance_order(order=order, target=S.IN_TRANSIT, user=admin_user, role="ops")
    order = services.advance_order(
        order=order, target=S.IN_TRANSIT, user=admin_user, role="ops", data=TRANSIT
    )
    order = services.advance_order(
        order=order,
        target=S.EXPORT_CLEARED,
        user=admin_user,
        role="ops",
        data={"export_declaration_no": "EX-1"},
    )
    order = services.advance_order(
        order=order,
        target=S.IMPORT_CLEARED,
        user=admin_user,
        role="ops",
        data={"import_declaration_no": "IM-1"},
    )
    order = services.advance_order(order=order, target=S.RECEIVING, user=admin_user, role="ops")
    first, second = order.cartons.all()
    services.record_receiving(
        order=order, carton_id=first.carton_id, counts={first.lines.get().pk: (20, 0)}, user=admin_user
    )
    with pytest.raises(ValidationError, match="Count these cartons first"):
        services.advance_order(order=order, target=S.COMPLETED, user=admin_user, role="ops")
    services.record_receiving(
        order=order, carton_id=second.carton_id, counts={second.lines.get().pk: (17, 2)}, user=admin_user
    )
    order = services.advance_order(order=order, target=S.COMPLETED, user=admin_user, role="ops")

    assert order.state == S.COMPLETED
    assert StockLevel.objects.get(seller=owner.seller, warehouse=warehouse).available_units == 37
    assert sorted(ReceivingDiscrepancy.objects.values_list("kind", "units")) == [("damaged", 2), ("short", 1)]
    assert list(order.events.values_list("to_state", flat=True)) == [
        "draft",
        "submitted",
        "in_transit",
        "export_cleared",
        "import_cleared",
        "receiving",
        "completed",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state,target,role,message",
    [
        ("submitted", "export_cleared", "ops", "cannot go from “Submitted” to “Export cleared”"),
        ("export_cleared", "in_transit", "ops", "cannot go from “Export cleared” to “In transit”"),
        ("submitted", "in_transit", "seller", "Only warehouse operations can move"),
        ("in_transit", "cancelled", "seller", "cannot go from “In transit” to “Cancelled”"),
        ("draft", "on_hold", "ops", "cannot go from “Draft” to “On hold”"),
        ("completed", "receiving", "ops", "cannot go from “Completed”"),
    ],
)
def test_illegal_steps_are_refused_with_a_clear_message(owner, admin_user, state, target, role, message):
    order = InboundOrder.objects.create(
        seller=owner.seller, warehouse=WarehouseFactory(), number="IB-X", state=state
    )
    with pytest.raises(workflow.TransitionError, match=message):
        services.advance_order(order=order, target=target, user=admin_user, role=role, data={})
    order.refresh_from_db()
    assert order.state == state and not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_hold_returns_to_the_state_it_left(owner, admin_user):
    order = submitted_order(owner, WarehouseFactory())
    order = services.advance_order(
        order=order, target=S.IN_TRANSIT, user=admin_user, role="ops", data=TRANSIT
    )
    with pytest.raises(ValidationError, match="hold reason"):
        services.advance_order(order=order, target=S.ON_HOLD, user=admin_user, role="ops")
    order = services.advance_order(
        order=order, target=S.ON_HOLD, user=admin_user, role="ops", data={"hold_reason": "Customs inspection"}
    )
    assert (order.state, order.held_state) == (S.ON_HOLD, S.IN_TRANSIT)
    with pytest.raises(workflow.TransitionError, match="release it back to “In transit”"):
        services.advance_order(order=order, target=S.EXPORT_CLEARED, user=admin_user, role="ops")
    order = services.advance_order(order=order, target=S.IN_TRANSIT, user=admin_user, role="ops")
    assert (order.state, order.held_state, order.hold_reason) == (S.IN_TRANSIT, "", "")


@pytest.mark.django_db
def test_seller_cancels_a_submitted_order_but_not_one_in_transit(owner_client, owner, admin_user):
    order = submitted_order(owner, WarehouseFactory())
    owner_client.post(reverse("inventory:order-cancel", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == S.CANCELLED
    other = submitted_order(owner, WarehouseFactory())
    services.advance_order(order=other, target=S.IN_TRANSIT, user=admin_user, role="ops", data=TRANSIT)
    owner_client.post(reverse("inventory:order-cancel", args=[other.pk]))
    other.refresh_from_db()
    assert other.state == S.IN_TRANSIT


@pytest.mark.django_db
def test_admin_advance_and_receiving_pages(admin_client, owner):
    order = submitted_order(owner, WarehouseFactory())
    url = reverse("admin:inventory_order_advance", args=[order.pk])
    missing = admin_client.post(url, {"target": "in_transit", "carrier": "COSCO"})
    assert "Record tracking or B/L number, ETD, ETA first." in missing.content.decode()
    admin_client.post(
        url,
        {
            "target": "in_transit",
            "carrier": "COSCO",
            "tracking_number": "BL1",
            "etd": "2026-11-02",
            "eta": "2026-11-20",
            "comment": "Loaded on MV Cosco Star",
        },
    )
    order.refresh_from_db()
    assert order.state == S.IN_TRANSIT and order.events.last().comment == "Loaded on MV Cosco Star"
    for target, data in (
        ("export_cleared", {"export_declaration_no": "E1"}),
        ("import_cleared", {"import_declaration_no": "I1"}),
        ("receiving", {}),
    ):
        admin_client.post(url, {"target": target, **data})
    carton = order.cartons.first()
    line = carton.lines.get()
    receive = reverse("admin:inventory_order_receive", args=[order.pk])
    admin_client.post(
        receive,
        {
            "carton_id": carton.carton_id,
            "record": "1",
            f"received_{line.pk}": "19",
            f"damaged_{line.pk}": "1",
        },
    )
    line.refresh_from_db()
    assert (line.received_units, line.damaged_units) == (19, 1)
    unknown = admin_client.get(receive, {"carton_id": "NOPE"})
    assert "Carton NOPE is not part of this order." in unknown.content.decode()


@pytest.mark.django_db
def test_order_pages_render_for_the_seller(owner_client, owner):
    order = submitted_order(owner, WarehouseFactory(country="US"))
    detail = owner_client.get(reverse("inventory:order-detail", args=[order.pk]))
    body = detail.content.decode()
    assert order.number in body and "ISF (10+2)" in body and "Timeline" in body
    listing = owner_client.get(reverse("inventory:order-list"), {"state": "submitted"})
    assert [row.record for row in listing.context["table"].rows] == [order]


@pytest.mark.django_db
def test_documents_of_a_draft_are_not_available(owner_client, owner):
    order = services.create_order(
        seller=owner.seller, user=owner.user, warehouse=WarehouseFactory(), cartons=[]
    )
    response = owner_client.get(reverse("inventory:order-document", args=[order.pk, "labels"]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_ops_attach_a_step_document_in_admin_and_the_seller_downloads_it(
    admin_client, owner_client, owner, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    order = submitted_order(owner, WarehouseFactory())
    form = {
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-0-state": "in_transit",
        "attachments-0-title": "Bill of lading",
        "notes": "",
        "cartons-TOTAL_FORMS": "0",
        "cartons-INITIAL_FORMS": str(order.cartons.count()),
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": str(order.events.count()),
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    for index, carton in enumerate(order.cartons.all()):
        form[f"cartons-{index}-id"] = carton.pk
        form[f"cartons-{index}-order"] = order.pk
    for index, event in enumerate(order.events.all()):
        form[f"events-{index}-id"] = event.pk
        form[f"events-{index}-order"] = order.pk
    form["cartons-TOTAL_FORMS"] = str(order.cartons.count())
    form["events-TOTAL_FORMS"] = str(order.events.count())
    url = reverse("admin:inventory_inboundorder_change", args=[order.pk])
    refused = admin_client.post(
        url, {**form, "attachments-0-file": SimpleUploadedFile("bl.pdf", b"not a pdf")}
    )
    assert refused.status_code == 200 and not order.attachments.exists()
    admin_client.post(
        url, {**form, "attachments-0-file": SimpleUploadedFile("bl.pdf", b"%PDF-1.4 B/L COSU6180011")}
    )
    attachment = order.attachments.get()
    detail = owner_client.get(reverse("inventory:order-detail", args=[order.pk])).content.decode()
    assert "Bill of lading" in detail
    download = owner_client.get(reverse("inventory:order-attachment", args=[attachment.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-1.4 B/L")


# --- Bounded orders (issue 10): no order a real shipment never reaches -------------------------------


def groups_post(sku, warehouse, groups):
    """The create form with one carton group per (cartons, units per carton)."""
    data = carton_post(sku, warehouse=warehouse.pk, **{"cartons-TOTAL_FORMS": str(len(groups))})
    for index, (cartons, units) in enumerate(groups):
        data.update(
            {
                f"cartons-{index}-sku": sku.pk,
                f"cartons-{index}-cartons": str(cartons),
                f"cartons-{index}-units_per_carton": str(units),
                f"cartons-{index}-length_mm": "600",
                f"cartons-{index}-width_mm": "400",
                f"cartons-{index}-height_mm": "420",
                f"cartons-{index}-gross_weight_kg": f"{8 + index}.50",
                f"cartons-{index}-batch_no": f"B{index}",
            }
        )
    return data


@pytest.mark.django_db
def test_an_order_over_5000_cartons_is_refused_naming_the_limit_and_the_count(
    owner_client, owner, jp_contract, jp_warehouse
):
    sku = SkuFactory(seller=owner.seller)
    response = owner_client.post(
        reverse("inventory:order-create"), groups_post(sku, jp_warehouse, [(3000, 20), (2001, 20)])
    )
    assert response.status_code == 400
    assert response.context["formset"].non_form_errors() == [
        "An order has at most 5000 cartons; this one has 5001."
    ]
    assert "An order has at most 5000 cartons; this one has 5001." in response.content.decode()
    assert not InboundOrder.objects.exists()


@pytest.mark.django_db
def test_an_order_over_the_line_limit_is_refused_on_create_and_edit(
    owner_client, owner, jp_contract, jp_warehouse, settings
):
    settings.INBOUND_MAX_LINES = 2
    sku = SkuFactory(seller=owner.seller)
    response = owner_client.post(
        reverse("inventory:order-create"), groups_post(sku, jp_warehouse, [(1, 10), (1, 11), (1, 12)])
    )
    assert response.status_code == 400
    assert response.context["formset"].non_form_errors() == [
        "An order has at most 2 lines (groups of identical cartons); this one has 3."
    ]
    assert not InboundOrder.objects.exists()

    owner_client.post(reverse("inventory:order-create"), groups_post(sku, jp_warehouse, [(1, 10), (4, 11)]))
    order = InboundOrder.objects.get()
    response = owner_client.post(
        reverse("inventory:order-edit", args=[order.pk]),
        groups_post(sku, jp_warehouse, [(1, 10), (1, 11), (1, 12)]),
    )
    assert response.status_code == 400
    assert "this one has 3" in response.content.decode()
    assert order.cartons.count() == 5


@pytest.mark.django_db
def test_units_per_carton_and_cartons_per_group_are_capped_before_the_database(
    owner_client, owner, jp_contract, jp_warehouse
):
    sku = SkuFactory(seller=owner.seller)
    response = owner_client.post(
        reverse("inventory:order-create"), groups_post(sku, jp_warehouse, [(5001, 2**31)])
    )
    assert response.status_code == 400
    errors = response.context["formset"].errors[0]
    assert errors["units_per_carton"] == ["Ensure this value is less than or equal to 100000."]
    assert errors["cartons"] == ["Ensure this value is less than or equal to 5000."]
    assert not InboundOrder.objects.exists()


@pytest.mark.django_db
def test_services_refuse_an_oversized_order_behind_the_form(owner, jp_warehouse, settings):
    sku = SkuFactory(seller=owner.seller)
    carton = services.CartonInput(600, 400, 420, Decimal("8.5"), (services.LineInput(sku, 20, "B1"),))
    settings.INBOUND_MAX_CARTONS = 3
    with pytest.raises(ValidationError) as refused:
        services.create_order(
            seller=owner.seller, user=owner.user, warehouse=jp_warehouse, cartons=[carton] * 4
        )
    assert refused.value.messages == ["An order has at most 3 cartons; this one has 4."]
    assert not InboundOrder.objects.exists()

    order = services.create_order(
        seller=owner.seller, user=owner.user, warehouse=jp_warehouse, cartons=[carton] * 3
    )
    settings.INBOUND_MAX_CARTONS = 2  # the limit was lowered after the draft was saved
    with pytest.raises(ValidationError) as refused:
        services.submit_order(order=order, user=owner.user)
    assert refused.value.messages == ["An order has at most 2 cartons; this one has 3."]
    order.refresh_from_db()
    assert order.state == S.DRAFT

    too_full = services.CartonInput(600, 400, 420, Decimal("8.5"), (services.LineInput(sku, 100_001, "B1"),))
    with pytest.raises(ValidationError) as refused:
        services.replace_cartons(order=order, cartons=[too_full])
    assert refused.value.messages == [
        f"A carton holds at most 100000 units; 100001 given for SKU {sku.code}."
    ]
    assert order.cartons.count() == 3


@pytest.mark.django_db
def test_lines_count_groups_of_identical_cartons_as_the_seller_entered_them(owner, jp_warehouse, settings):
    sku = SkuFactory(seller=owner.seller)

    def carton(units):
        return services.CartonInput(600, 400, 420, Decimal("8.5"), (services.LineInput(sku, units, "B1"),))

    order = services.create_order(
        seller=owner.seller,
        user=owner.user,
        warehouse=jp_warehouse,
        cartons=[carton(10)] * 3 + [carton(12)] * 2 + [carton(10)],
    )
    assert services.order_size(order) == (3, 6)


@pytest.mark.django_db
def test_order_page_shows_documents_rendering_then_offers_their_download(
    owner_client, owner, settings, tmp_path
):
    from inventory.inbound.documents import render_order_document
    from inventory.models import OrderDocument

    settings.MEDIA_ROOT = tmp_path
    order = submitted_order(owner, WarehouseFactory())
    page = owner_client.get(reverse("inventory:order-detail", args=[order.pk])).content.decode()
    assert 'id="order-documents"' in page and 'hx-trigger="every 2s"' in page
    assert reverse("inventory:order-documents", args=[order.pk]) in page
    assert 'id="download-labels"' not in page
    # Asking for a file not rendered yet does not render it in the request: back to the page.
    early = owner_client.get(reverse("inventory:order-document", args=[order.pk, "labels"]), follow=True)
    assert early.redirect_chain == [(reverse("inventory:order-detail", args=[order.pk]), 302)]
    assert [str(m) for m in early.context["messages"]] == [
        "Carton labels is being prepared; it can be downloaded here when it is ready."
    ]
    assert OrderDocument.objects.filter(order=order).count() == 3

    for document in OrderDocument.objects.filter(order=order):
        render_order_document(document.pk)
    fragment = owner_client.get(reverse("inventory:order-documents", args=[order.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert fragment.count('id="download-') == 3
    response = owner_client.get(reverse("inventory:order-document", args=[order.pk, "labels"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{order.number}-labels.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_ops_download_a_rendered_document_in_admin(admin_client, owner, settings, tmp_path):
    from inventory.inbound.documents import render_order_document
    from inventory.models import OrderDocument

    settings.MEDIA_ROOT = tmp_path
    order = submitted_order(owner, WarehouseFactory())
    (document,) = services.request_documents(order=order, kinds=["commercial-invoice"])
    url = reverse("admin:inventory_orderdocument_download", args=[document.pk])
    assert admin_client.get(url).status_code == 404  # not rendered yet
    render_order_document(document.pk)
    change = admin_client.get(reverse("admin:inventory_inboundorder_change", args=[order.pk]))
    assert url in change.content.decode()
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert OrderDocument.objects.get(pk=document.pk).status == "ready"
