"""The seller of a ledger row (SPEC §6, issue 10 finding 2): a seller code or an alias ops registered for
the warehouse, one case-insensitive namespace; a display name never matches, so no seller can capture
another seller's rows (and bill) by naming itself after its code."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.ledgers.imports import create_upload, import_ledger_file
from inventory.models import LedgerFile, OutboundParcelRow, StockLedgerRow
from portal import services
from portal.models import Seller, SellerAlias
from tests.factories import SellerFactory, WarehouseFactory, billing_contacts_inline

HEADER = "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds\n"


def outbound(*sellers: str, warehouse="WH-A") -> bytes:
    """One outbound parcel row per seller value, in that order (rows 2, 3, ...)."""
    lines = [f"P{n},2016-06-02,{warehouse},{seller},1.5,1\n" for n, seller in enumerate(sellers, start=1)]
    return (HEADER + "".join(lines)).encode()


def imported(data: bytes, *, warehouse, seller=None, source="warehouse") -> LedgerFile:
    result = create_upload(
        uploaded=io.BytesIO(data),
        name="parcels.csv",
        seller=seller,
        warehouse=warehouse,
        kind="outbound",
        source=source,
        user=None,
        enqueue=False,
    )
    assert result.created
    return import_ledger_file(result.ledger_file.pk)


def sellers_of_rows(ledger_file) -> list[str]:
    rows = OutboundParcelRow.objects.filter(ledger_file=ledger_file).order_by("row_number")
    return list(rows.values_list("seller__code", flat=True))


def errors(ledger_file) -> list[tuple[int, str, str]]:
    return sorted((e["row"], e["column"], e["reason"]) for e in ledger_file.errors)


@pytest.fixture
def twins(db):
    """Seller A has code "acme"; seller B registered the display name "acme" (code "beta"), and each has a
    store-name alias at warehouse WH-A. A second warehouse WH-B has no alias."""
    acme = SellerFactory(code="acme", name="acme trading")  # sorts after "acme": the old first match was B
    beta = SellerFactory(code="beta", name="acme")
    warehouse = WarehouseFactory(code="WH-A", name="Warehouse A")
    SellerAlias.objects.create(warehouse=warehouse, seller=acme, alias="Acme旗舰店")
    SellerAlias.objects.create(warehouse=warehouse, seller=beta, alias="Beta Store")
    return acme, beta, warehouse


# --- rows land on the seller they name, or are refused ---------------------------------------------------


def test_each_row_lands_on_the_seller_its_code_or_alias_names(twins):
    acme, beta, warehouse = twins
    ledger_file = imported(
        outbound("acme", "ACME", "beta", "acme旗舰店", "BETA STORE", " Beta Store "), warehouse=warehouse
    )
    assert ledger_file.status == LedgerFile.Status.STORED, ledger_file.errors
    assert sellers_of_rows(ledger_file) == ["acme", "acme", "beta", "acme", "beta", "beta"]


def test_a_display_name_matches_no_row_so_a_name_twin_captures_nothing(twins):
    acme, beta, warehouse = twins
    gamma = SellerFactory(code="gamma", name="Gamma Shop")
    ledger_file = imported(outbound("acme", "Gamma Shop", "acme trading"), warehouse=warehouse)
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert errors(ledger_file) == [
        (
            3,
            "seller",
            'unknown seller "Gamma Shop": not a seller code nor an alias registered for warehouse WH-A',
        ),
        (
            4,
            "seller",
            'unknown seller "acme trading": not a seller code nor an alias registered for warehouse WH-A',
        ),
    ]
    assert gamma.pk and not OutboundParcelRow.objects.exists()


def test_rows_naming_a_code_land_on_its_seller_even_when_another_sellers_name_is_that_code(twins):
    acme, beta, warehouse = twins
    ledger_file = imported(outbound("acme", "acme", "acme"), warehouse=warehouse)
    assert sellers_of_rows(ledger_file) == ["acme"] * 3
    assert not OutboundParcelRow.objects.filter(seller=beta).exists()


def test_an_alias_matches_only_at_its_own_warehouse(twins):
    acme, beta, _ = twins
    other = WarehouseFactory(code="WH-B", name="Warehouse B")
    ledger_file = imported(outbound("acme", "Beta Store", warehouse="WH-B"), warehouse=other)
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert errors(ledger_file) == [
        (
            3,
            "seller",
            'unknown seller "Beta Store": not a seller code nor an alias registered for warehouse WH-B',
        )
    ]
    assert not OutboundParcelRow.objects.exists()


def test_a_pending_sellers_code_and_alias_match_no_row(twins):
    _, _, warehouse = twins
    pending = SellerFactory(code="newco", name="New Co", status=Seller.Status.PENDING)
    SellerAlias.objects.create(warehouse=warehouse, seller=pending, alias="新店")
    ledger_file = imported(outbound("acme", "newco", "新店"), warehouse=warehouse)
    assert errors(ledger_file) == [
        (3, "seller", 'seller "newco" is not active yet (pending approval)'),
        (4, "seller", 'seller "新店" is not active yet (pending approval)'),
    ]
    assert not OutboundParcelRow.objects.exists()
    pending.status = Seller.Status.ACTIVE  # approved: the same file goes in
    pending.save()
    again = imported(outbound("acme", "newco", "新店", "NEWCO"), warehouse=warehouse)
    assert sellers_of_rows(again) == ["acme", "newco", "newco", "newco"]


def test_a_suspended_seller_still_matches_its_rows(twins):
    acme, _, warehouse = twins
    Seller.objects.filter(pk=acme.pk).update(status=Seller.Status.SUSPENDED)
    ledger_file = imported(outbound("acme", "Acme旗舰店"), warehouse=warehouse)
    assert sellers_of_rows(ledger_file) == ["acme", "acme"]


def test_a_code_that_is_also_another_sellers_alias_matches_nobody(twins):
    """Data from before the shared namespace (written around the checks): refused, never guessed."""
    acme, beta, warehouse = twins
    SellerAlias.objects.bulk_create([SellerAlias(warehouse=warehouse, seller=beta, alias="ACME")])
    ledger_file = imported(outbound("beta", "acme"), warehouse=warehouse)
    assert errors(ledger_file) == [
        (3, "seller", '"acme" is both a seller code and an alias of another seller; ask ops to fix it')
    ]
    assert not OutboundParcelRow.objects.exists()


def test_a_sellers_own_upload_says_the_same_of_every_other_value(twins):
    """A seller's upload may hold only its own rows; another seller's code, a pending seller's code and an
    unknown value get one answer, so the upload form is no oracle for other sellers' codes."""
    acme, beta, warehouse = twins
    SellerFactory(code="newco", status=Seller.Status.PENDING)
    ledger_file = imported(
        outbound("beta", "Beta Store", "acme", "newco", "nobody"),
        warehouse=warehouse,
        seller=beta,
        source="seller",
    )
    assert errors(ledger_file) == [
        (row, "seller", f'"{value}" is not the seller of this upload (beta)')
        for row, value in [(4, "acme"), (5, "newco"), (6, "nobody")]
    ]


# --- codes and aliases share one namespace -------------------------------------------------------------


def test_an_alias_equal_to_a_seller_code_is_refused_whatever_its_case(twins):
    acme, beta, warehouse = twins
    alias = SellerAlias(warehouse=warehouse, seller=beta, alias=" ACME ")
    with pytest.raises(ValidationError) as refused:
        alias.full_clean()
    assert refused.value.message_dict == {
        "alias": ["“ACME” is the code of seller acme trading; an alias can never equal a seller code."]
    }


def test_an_alias_is_unique_per_warehouse_whatever_its_case(twins):
    acme, beta, warehouse = twins
    with pytest.raises(ValidationError) as refused:
        SellerAlias(warehouse=warehouse, seller=acme, alias="beta store").full_clean()
    assert refused.value.messages == ["This warehouse already has this alias (letter case does not count)."]
    with pytest.raises(IntegrityError), transaction.atomic():
        SellerAlias.objects.create(warehouse=warehouse, seller=acme, alias="BETA STORE")
    SellerAlias(
        warehouse=WarehouseFactory(), seller=acme, alias="Beta Store"
    ).full_clean()  # another warehouse


def test_seller_codes_are_unique_whatever_their_case(twins):
    with pytest.raises(IntegrityError), transaction.atomic():
        SellerFactory(code="ACME")


def test_registration_whose_slug_is_an_alias_gets_another_code(twins):
    _, _, warehouse = twins
    SellerAlias.objects.create(warehouse=warehouse, seller=twins[0], alias="Beta-Shop")
    seller = services.register_seller(
        services.Registration(
            company_name="Beta Shop",
            legal_name="Beta Shop Ltd",
            country="CN",
            default_currency="CNY",
            language="en",
            email="owner@betashop.example.com",
            password="a-Strong-test-pass-42",
        )
    )
    assert seller.code.startswith("beta-shop-") and len(seller.code) == len("beta-shop-") + 4
    assert services.unique_seller_code("Acme") != "acme"  # another seller's code, as before
    assert services.unique_seller_code("Gamma") == "gamma"


@pytest.mark.django_db(transaction=True)
def test_an_alias_being_added_holds_off_a_registration_taking_it_as_a_code():
    """The check and the insert are one step across both tables: a registration checking while an alias
    is being added (not committed yet) waits for it, then takes another code."""
    import threading

    from tests.inventory.test_ledger_import import at_once

    acme = SellerFactory(code="acme")
    warehouse = WarehouseFactory()
    alias_pending = threading.Event()

    def add_alias():
        alias = SellerAlias(warehouse=warehouse, seller=acme, alias="NewCo")
        alias.full_clean()
        alias.save()
        alias_pending.set()
        return alias

    def register():
        assert alias_pending.wait(timeout=30)
        return services.register_seller(
            services.Registration(
                company_name="NewCo",
                legal_name="NewCo Ltd",
                country="CN",
                default_currency="CNY",
                language="en",
                email="owner@newco.example.com",
                password="a-Strong-test-pass-42",
            )
        )

    alias, seller = at_once(add_alias, register)
    assert isinstance(alias, SellerAlias) and isinstance(seller, Seller), (alias, seller)
    assert seller.code.startswith("newco-") and not SellerAlias.objects.filter(alias__iexact=seller.code)


# --- admin -----------------------------------------------------------------------------------------------


def test_admin_refuses_an_alias_equal_to_a_code_with_a_clear_message(admin_client, twins):
    acme, beta, warehouse = twins
    response = admin_client.post(
        "/admin/portal/selleralias/add/", {"warehouse": warehouse.pk, "seller": beta.pk, "alias": "Acme"}
    )
    assert response.status_code == 200
    assert "is the code of seller acme trading; an alias can never equal a seller code." in (
        response.content.decode()
    )
    assert SellerAlias.objects.count() == 2


def test_admin_registers_an_alias_and_records_who(admin_client, twins, admin_user):
    acme, beta, warehouse = twins
    response = admin_client.post(
        "/admin/portal/selleralias/add/",
        {"warehouse": warehouse.pk, "seller": acme.pk, "alias": "123旗舰店"},
    )
    assert response.status_code == 302
    alias = SellerAlias.objects.get(alias="123旗舰店")
    assert (alias.seller, alias.warehouse, alias.created_by) == (acme, warehouse, admin_user)
    listing = admin_client.get("/admin/portal/selleralias/", {"q": "123"})
    assert "123旗舰店" in listing.content.decode()


def test_warehouse_admin_inline_refuses_an_alias_equal_to_a_code(admin_client, twins, admin_user):
    acme, beta, warehouse = twins
    url = f"/admin/portal/warehouse/{warehouse.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "Beta Store" in page.content.decode()
    data = {
        "code": warehouse.code,
        "name": warehouse.name,
        "country": warehouse.country,
        "operator": warehouse.operator_id,
        "time_zone": warehouse.time_zone,
        "currency": warehouse.currency,
        "address": "",
        "service_lines-TOTAL_FORMS": "0",
        "service_lines-INITIAL_FORMS": "0",
        "seller_aliases-TOTAL_FORMS": "1",
        "seller_aliases-INITIAL_FORMS": "0",
        "seller_aliases-0-alias": "BETA",
        "seller_aliases-0-seller": acme.pk,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "an alias can never equal a seller code." in response.content.decode()
    data["seller_aliases-0-alias"] = "Acme HK"
    assert admin_client.post(url, data).status_code == 302
    alias = SellerAlias.objects.get(alias="Acme HK")
    assert (alias.seller, alias.warehouse, alias.created_by) == (acme, warehouse, admin_user)


def seller_form(seller, **changes):
    data = {
        "code": seller.code,
        "name": seller.name,
        "legal_name": seller.legal_name,
        "tax_id": seller.tax_id,
        "country": seller.country,
        **billing_contacts_inline(seller),
        "language": seller.language,
        "default_currency": seller.default_currency,
        "status": seller.status,
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_seller_admin_refuses_a_code_equal_to_an_alias_or_to_another_code(admin_client, twins):
    acme, beta, warehouse = twins
    url = f"/admin/portal/seller/{beta.pk}/change/"
    SellerAlias.objects.create(warehouse=warehouse, seller=acme, alias="acme-hk")
    refused = admin_client.post(url, seller_form(beta, code="ACME-HK"))
    assert refused.status_code == 200
    assert "is already a ledger alias at warehouse WH-A" in refused.content.decode()
    taken = admin_client.post(url, seller_form(beta, code="ACME"))
    assert taken.status_code == 200 and "is already the code of seller acme trading" in taken.content.decode()
    beta.refresh_from_db()
    assert beta.code == "beta"
    kept = admin_client.post(url, seller_form(beta, code="BETA", name="Beta"))  # its own code, lowercased
    beta.refresh_from_db()
    assert kept.status_code == 302 and (beta.code, beta.name) == ("beta", "Beta")


# --- demo data -------------------------------------------------------------------------------------------


def test_the_golden_ledger_imports_into_the_demo_through_its_store_alias(db, tmp_path):
    from django.core.management import call_command

    from portal.dashboard.demo import load_demo_data
    from tests.conftest import REPO

    load_demo_data(with_billing=False)
    load_demo_data(with_billing=False)  # idempotent
    out = io.StringIO()
    call_command(
        "import_ledger",
        str(REPO.parent / "shared" / "golden" / "cainiao_overseas_2016-06_gbk.csv"),
        "--kind",
        "stock",
        "--warehouse",
        "HK-XY-OVERSEAS",
        stdout=out,
    )
    assert "30 rows stored" in out.getvalue()
    rows = StockLedgerRow.objects.filter(ledger_file=LedgerFile.objects.get())
    assert rows.count() == 30 and set(rows.values_list("seller__code", flat=True)) == {"youpin"}
