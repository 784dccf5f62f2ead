"""One contract at a time (SPEC §3): month bounds, no overlap under a lock, an exclusion constraint on
PostgreSQL, and the selector that names the contract and version pricing a seller's month (SPEC §9)."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from tariffs.models import Contract
from tariffs.rules import Period
from tariffs.selectors import NoContractInForce, NoVersionInForce, pricing_for
from tariffs.services import change_contract, copy_rate_card, create_contract, duplicate_version
from tests.conftest import wait_for
from tests.factories import SellerFactory, ServiceLineFactory, preset_card


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL only")


@pytest.fixture
def seller(db):
    return SellerFactory()


@pytest.fixture
def line(db):
    return ServiceLineFactory()


def contract(seller, line, starts_on, ends_on=None, card=None, **fields):
    return create_contract(
        seller=seller,
        service_line=line,
        rate_card=card or preset_card("cainiao-bonded"),
        starts_on=starts_on,
        ends_on=ends_on,
        **fields,
    )


@pytest.mark.django_db
def test_a_contract_starting_mid_month_is_refused(seller, line):
    with pytest.raises(ValidationError) as raised:
        contract(seller, line, date(2026, 3, 15))
    assert raised.value.message_dict["starts_on"] == ["Must be the first day of a month (e.g. 2026-03-01)."]
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_a_contract_ending_mid_month_or_before_its_start_is_refused(seller, line):
    with pytest.raises(ValidationError) as raised:
        contract(seller, line, date(2026, 3, 1), date(2026, 4, 29))
    assert raised.value.message_dict["ends_on"] == ["Must be the last day of a month (or empty for no end)."]
    with pytest.raises(ValidationError) as raised:
        contract(seller, line, date(2026, 3, 1), date(2026, 1, 31))
    assert raised.value.message_dict["ends_on"] == ["The end date is before the start date."]
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_an_overlapping_contract_is_refused_naming_the_other(seller, line):
    first = contract(seller, line, date(2026, 1, 1), date(2026, 6, 30))
    with pytest.raises(ValidationError) as raised:
        contract(seller, line, date(2026, 6, 1), card=preset_card("tmall-import"))
    (message,) = raised.value.message_dict["starts_on"]
    assert message == (
        f"Overlaps contract #{first.pk} (cainiao-bonded (CNY), 2026-01-01 – 2026-06-30) of this seller on "
        "this service line: end that one first or start this one after it."
    )
    assert list(Contract.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.django_db
def test_an_open_contract_refuses_any_later_one_until_it_is_ended(seller, line):
    first = contract(seller, line, date(2026, 1, 1))
    with pytest.raises(ValidationError, match=f"#{first.pk}"):
        contract(seller, line, date(2030, 1, 1))
    change_contract(contract=first, ends_on=date(2026, 6, 30))
    second = contract(seller, line, date(2026, 7, 1), card=preset_card("tmall-import"))
    assert list(Contract.objects.order_by("starts_on")) == [first, second]
    with pytest.raises(ValidationError, match=f"#{second.pk}"):
        change_contract(contract=first, ends_on=date(2026, 7, 31))
    first.refresh_from_db()
    assert first.ends_on == date(2026, 6, 30)


@pytest.mark.django_db
def test_other_sellers_and_other_lines_do_not_overlap(seller, line):
    contract(seller, line, date(2026, 1, 1))
    contract(SellerFactory(), line, date(2026, 1, 1))
    contract(seller, ServiceLineFactory(), date(2026, 1, 1))
    assert Contract.objects.count() == 3


@pytest.mark.django_db
def test_payment_terms_default_to_30_days_and_are_bounded(seller, line):
    assert contract(seller, line, date(2026, 1, 1)).payment_terms_days == 30
    with pytest.raises(ValidationError) as raised:
        contract(SellerFactory(), line, date(2026, 1, 1), payment_terms_days=400)
    assert "payment_terms_days" in raised.value.message_dict


@pytest.mark.django_db
def test_the_database_refuses_a_raw_overlapping_contract(seller, line):
    needs_postgres()
    card = preset_card("cainiao-bonded")
    Contract.objects.create(seller=seller, service_line=line, rate_card=card, starts_on=date(2026, 1, 1))
    with pytest.raises(IntegrityError, match="contract_one_at_a_time"), transaction.atomic():
        Contract.objects.create(
            seller=seller,
            service_line=line,
            rate_card=card,
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 5, 31),
        )
    with pytest.raises(IntegrityError, match="contract_month_bounds"), transaction.atomic():
        Contract.objects.create(
            seller=SellerFactory(), service_line=line, rate_card=card, starts_on=date(2026, 5, 2)
        )
    assert Contract.objects.count() == 1


def someone_waits_on_my_transaction() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
            "AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_contracts_created_at_once_one_wins_the_other_is_told_why():
    """Each thread has its own connection; the first to take the lock keeps its transaction open until
    the other waits on it, so the second always checks while the first has not committed yet."""
    needs_postgres()
    seller, line = SellerFactory(), ServiceLineFactory()
    barrier = threading.Barrier(2)
    finished, results = [], [None, None]

    def run(index, starts_on):
        try:
            with transaction.atomic():
                barrier.wait(timeout=30)
                results[index] = contract(seller, line, starts_on)
                wait_for(lambda: finished or someone_waits_on_my_transaction(), timeout=30, interval=0.02)
        except Exception as exc:  # checked below
            results[index] = exc
        finally:
            finished.append(index)
            connection.close()

    threads = [
        threading.Thread(target=run, args=(0, date(2026, 1, 1))),
        threading.Thread(target=run, args=(1, date(2026, 3, 1))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    (winner,) = [r for r in results if isinstance(r, Contract)]
    (loser,) = [r for r in results if not isinstance(r, Contract)]
    assert isinstance(loser, ValidationError), repr(loser)  # the service's check, not the constraint
    assert f"Overlaps contract #{winner.pk}" in loser.message_dict["starts_on"][0]
    assert list(Contract.objects.values_list("pk", flat=True)) == [winner.pk]


@pytest.mark.django_db
def test_the_selector_picks_the_contract_and_version_of_the_month(seller, line):
    own = copy_rate_card(card=preset_card("cainiao-bonded"), code="bonded-negotiated")
    v1 = own.versions.get()
    v2 = duplicate_version(version=v1, valid_from=date(2026, 4, 1), today=date(2026, 3, 10))
    first = contract(seller, line, date(2026, 1, 1), date(2026, 6, 30), card=own)
    second = contract(
        seller, line, date(2026, 7, 1), card=preset_card("tmall-import"), customer_class="regular"
    )

    def priced(month):
        pricing = pricing_for(seller=seller, service_line=line, period=Period.parse(month))
        return pricing.contract, pricing.version, pricing.currency, pricing.customer_class

    v1.refresh_from_db()
    assert v1.valid_to == date(2026, 3, 31)  # closed by the new version
    assert priced("2026-03") == (first, v1, "CNY", "regular")
    assert priced("2026-04") == (first, v2, "CNY", "regular")
    assert priced("2026-06") == (first, v2, "CNY", "regular")
    tmall_v1 = preset_card("tmall-import").versions.get()
    assert priced("2026-07") == (second, tmall_v1, "CNY", "regular")
    assert priced("2031-01") == (second, tmall_v1, "CNY", "regular")
    with pytest.raises(NoContractInForce, match=f"{seller.code} has no contract on .* in 2025-12"):
        priced("2025-12")
    assert pricing_for(seller=seller, warehouse=line.warehouse, period=Period(2026, 5)).contract == first


@pytest.mark.django_db
def test_the_selector_says_when_the_card_has_no_version_that_month(seller, line):
    own = copy_rate_card(card=preset_card("cainiao-bonded"), code="bonded-later")
    version = own.versions.get()
    version.valid_from = date(2027, 1, 1)
    version.full_clean()
    version.save()
    contract(seller, line, date(2026, 1, 1), card=own)
    with pytest.raises(NoVersionInForce, match="bonded-later \\(CNY\\) has no version in force in 2026-05"):
        pricing_for(seller=seller, service_line=line, period=Period(2026, 5))


@pytest.mark.django_db
def test_admin_refuses_an_overlapping_or_mid_month_contract_with_the_reason(admin_client, seller, line):
    from django.urls import reverse

    first = contract(seller, line, date(2026, 1, 1))
    post = {
        "seller": seller.pk,
        "service_line": line.pk,
        "rate_card": preset_card("tmall-import").pk,
        "customer_class": "regular",
        "starts_on": "2026-05-01",
        "ends_on": "",
        "payment_terms_days": "45",
    }
    response = admin_client.post(reverse("admin:tariffs_contract_add"), post)
    assert response.status_code == 200
    assert f"Overlaps contract #{first.pk}" in str(response.context["adminform"].form.errors["starts_on"])
    response = admin_client.post(
        reverse("admin:tariffs_contract_add"),
        {**post, "service_line": ServiceLineFactory().pk, "starts_on": "2026-05-02"},
    )
    assert response.context["adminform"].form.errors["starts_on"] == [
        "Must be the first day of a month (e.g. 2026-05-01)."
    ]
    assert list(Contract.objects.all()) == [first]
    change_contract(contract=first, ends_on=date(2026, 4, 30))
    response = admin_client.post(reverse("admin:tariffs_contract_add"), post)
    assert response.status_code == 302
    assert Contract.objects.get(starts_on=date(2026, 5, 1)).payment_terms_days == 45


@pytest.mark.django_db
def test_the_order_estimate_uses_the_contract_in_force_that_month(seller, line):
    from inventory.inbound.estimate import estimate_order
    from tests.factories import InboundOrderFactory

    contract(seller, line, date(2026, 1, 1), date(2026, 6, 30))
    contract(seller, line, date(2026, 7, 1), card=preset_card("cainiao-overseas"))
    order = InboundOrderFactory(seller=seller, warehouse=line.warehouse)
    may, august = (
        estimate_order(order, today=date(2026, 5, 10)),
        estimate_order(order, today=date(2026, 8, 10)),
    )
    assert (may["rate_card"], may["version"], may["currency"]) == ("cainiao-bonded", 1, "CNY")
    assert [fee["code"] for fee in may["fees"]] == ["storage", "cross_border_tax"]
    assert (august["rate_card"], [fee["code"] for fee in august["fees"]]) == (
        "cainiao-overseas",
        ["storage", "cross_border_tax"],
    )
    before = estimate_order(order, today=date(2025, 12, 31))
    assert "rate_card" not in before and before["fees"] == []
    assert before["notes"] == ["No contract with this warehouse in 2025-12: fees cannot be estimated."]
