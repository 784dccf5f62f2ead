"""A ledger store the monthly close can trust (SPEC §6, issue 11): a refused file can be tried again, a wrong
upload can be withdrawn (kept for audit), replacements are recorded and shown, and an invoiced month takes
no warehouse-source change, even when an upload and the close run at the same moment."""

import io
import threading
import time
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.urls import reverse

from inventory.ledgers.imports import (
    WithdrawalRefused,
    close_ledger_period,
    create_upload,
    import_ledger_file,
    withdraw_ledger_file,
)
from inventory.models import ClosedPeriod, LedgerFile, LedgerReplacement, StockLedgerRow
from portal.models import Seller, SellerAlias
from tests.conftest import wait_for
from tests.factories import SellerFactory, ServiceLineFactory, UserFactory, WarehouseFactory

HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,units_per_carton,"
    "sales_qty,stock_qty\n"
)
NOW = datetime(2016, 7, 5, 9, 30, tzinfo=UTC)


def stock(days, *, seller="shop123", month="2016-06", stock_qty=10, item="A1") -> bytes:
    """One stock row per day (``days``: day numbers of ``month``, or ISO dates), rows 2, 3, ..."""
    dates = [d if isinstance(d, str) else f"{month}-{d:02d}" for d in days]
    return (
        HEADER + "".join(f"{d},WH-1,{seller},{item},400,100,250,1,0,{stock_qty}\n" for d in dates)
    ).encode()


def upload(data: bytes, warehouse, *, seller=None, source="warehouse", user=None):
    """Upload and import at once; returns (UploadResult, the LedgerFile as it ended)."""
    result = create_upload(
        uploaded=io.BytesIO(data),
        name="june.csv",
        seller=seller,
        warehouse=warehouse,
        kind="stock",
        source=source,
        user=user,
        enqueue=False,
    )
    ledger_file = import_ledger_file(result.ledger_file.pk) if result.created else result.ledger_file
    return result, ledger_file


def in_force(**filters) -> list[tuple[int, int]]:
    """(upload id, day) of every stock row in force, sorted."""
    rows = StockLedgerRow.objects.filter(is_current=True, **filters)
    return sorted((f, d.day) for f, d in rows.values_list("ledger_file_id", "business_date"))


@pytest.fixture
def shop(db):
    seller = SellerFactory(code="shop123")
    warehouse = WarehouseFactory(code="WH-1", name="Warehouse one")
    return seller, warehouse


# --- a refused upload can be tried again --------------------------------------------------------------


def test_a_refused_file_is_checked_again_once_its_alias_is_registered(shop):
    seller, warehouse = shop
    data = stock([1, 2], seller="壹二三旗舰店")
    first, refused = upload(data, warehouse)
    assert refused.status == LedgerFile.Status.FAILED
    assert [(e["row"], e["column"]) for e in refused.errors] == [(2, "seller"), (3, "seller")]

    SellerAlias.objects.create(warehouse=warehouse, seller=seller, alias="壹二三旗舰店")
    again, stored = upload(data, warehouse)
    assert again.created and stored.pk != refused.pk
    assert stored.status == LedgerFile.Status.STORED, stored.message
    assert in_force() == [(stored.pk, 1), (stored.pk, 2)]
    refused.refresh_from_db()
    assert refused.status == LedgerFile.Status.FAILED  # the refused attempt stays, with its errors


def test_a_refused_file_is_checked_again_once_the_seller_is_approved(shop):
    seller, warehouse = shop
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.PENDING)
    _, refused = upload(stock([1]), warehouse)
    assert refused.errors == [
        {"row": 2, "column": "seller", "reason": 'seller "shop123" is not active yet (pending approval)'}
    ]
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.ACTIVE)
    again, stored = upload(stock([1]), warehouse)
    assert again.created and stored.status == LedgerFile.Status.STORED


def test_the_same_content_once_stored_is_still_stored_once(shop):
    seller, warehouse = shop
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.PENDING)
    upload(stock([1]), warehouse)
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.ACTIVE)
    _, stored = upload(stock([1]), warehouse)
    third, same = upload(stock([1]), warehouse)
    assert not third.created and same.pk == stored.pk
    assert LedgerFile.objects.filter(status="stored").count() == 1 and StockLedgerRow.objects.count() == 1


def test_the_content_of_a_withdrawn_upload_may_be_uploaded_again(shop):
    _, warehouse = shop
    _, first = upload(stock([1, 2]), warehouse)
    withdraw_ledger_file(first, by=None, reason="wrong warehouse export", now=NOW)
    again, stored = upload(stock([1, 2]), warehouse)
    assert again.created and stored.status == LedgerFile.Status.STORED
    assert in_force() == [(stored.pk, 1), (stored.pk, 2)]


# --- withdrawing an upload ---------------------------------------------------------------------------------


def test_withdrawing_an_upload_puts_the_rows_it_replaced_back_in_force_and_keeps_it(shop):
    _, warehouse = shop
    ops = UserFactory(email="ops@example.com", is_staff=True)
    _, june = upload(stock(range(1, 31)), warehouse)
    _, fix = upload(stock(range(15, 31), stock_qty=8), warehouse)
    assert in_force() == [(june.pk, d) for d in range(1, 15)] + [(fix.pk, d) for d in range(15, 31)]

    result = withdraw_ledger_file(fix, by=ops, reason="sent the May export by mistake", now=NOW)

    assert (result.rows_withdrawn, result.rows_restored) == (16, 16)
    assert in_force() == [(june.pk, d) for d in range(1, 31)]
    fix.refresh_from_db()
    assert (fix.status, fix.withdrawn_at, fix.withdrawn_by, fix.withdrawal_reason) == (
        "withdrawn",
        NOW,
        ops,
        "sent the May export by mistake",
    )
    assert StockLedgerRow.objects.filter(ledger_file=fix).count() == 16  # kept for audit
    assert import_ledger_file(fix.pk).status == "withdrawn"  # a late task re-run changes nothing


def test_rows_replaced_by_a_newer_upload_too_stay_out_when_the_middle_one_is_withdrawn(shop):
    _, warehouse = shop
    _, a = upload(stock(range(1, 31)), warehouse)
    _, b = upload(stock(range(15, 31), stock_qty=8), warehouse)
    _, c = upload(stock(range(20, 31), stock_qty=7), warehouse)

    withdraw_ledger_file(b, by=None, reason="wrong counts", now=NOW)
    assert in_force() == [(a.pk, d) for d in range(1, 20)] + [(c.pk, d) for d in range(20, 31)]

    withdraw_ledger_file(c, by=None, reason="wrong again", now=NOW)
    assert in_force() == [(a.pk, d) for d in range(1, 31)]


def test_withdrawing_the_oldest_upload_leaves_the_newer_ones_in_force(shop):
    _, warehouse = shop
    _, a = upload(stock(range(1, 11)), warehouse)
    _, b = upload(stock(range(6, 11), stock_qty=8), warehouse)
    withdraw_ledger_file(a, by=None, reason="duplicate", now=NOW)
    assert in_force() == [(b.pk, d) for d in range(6, 11)]
    withdraw_ledger_file(b, by=None, reason="also wrong", now=NOW)
    assert in_force() == []  # a's rows do not come back: a is withdrawn


def test_only_a_stored_upload_can_be_withdrawn_and_only_with_a_reason(shop):
    seller, warehouse = shop
    _, stored = upload(stock([1]), warehouse)
    with pytest.raises(WithdrawalRefused, match="Give the reason"):
        withdraw_ledger_file(stored, by=None, reason="  ", now=NOW)
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.PENDING)
    _, refused = upload(stock([2]), warehouse)
    with pytest.raises(WithdrawalRefused, match=r"is “Refused”: only a stored upload can be withdrawn"):
        withdraw_ledger_file(refused, by=None, reason="no", now=NOW)
    withdraw_ledger_file(stored, by=None, reason="wrong", now=NOW)
    with pytest.raises(WithdrawalRefused, match="is “Withdrawn”"):
        withdraw_ledger_file(stored, by=None, reason="twice", now=NOW)
    stored.refresh_from_db()
    assert (stored.status, stored.withdrawal_reason) == ("withdrawn", "wrong")


# --- replacements are recorded ----------------------------------------------------------------------------


def test_an_upload_records_which_uploads_it_replaced_and_how_many_rows(shop):
    _, warehouse = shop
    _, a = upload(stock(range(1, 11)), warehouse)
    _, b = upload(stock(range(8, 16), stock_qty=8), warehouse)
    _, c = upload(stock(range(5, 13), stock_qty=7), warehouse)
    records = LedgerReplacement.objects.order_by("new_file_id", "old_file_id")
    assert [(r.new_file_id, r.old_file_id, r.rows) for r in records] == [
        (b.pk, a.pk, 3),  # days 8-10
        (c.pk, a.pk, 3),  # days 5-7
        (c.pk, b.pk, 5),  # days 8-12
    ]
    assert list(c.replaces.order_by("pk")) == [a, b] and list(a.replaced_by.order_by("pk")) == [b, c]


# --- closed periods ---------------------------------------------------------------------------------------


def test_a_warehouse_upload_with_rows_in_a_closed_month_is_refused_whole(shop):
    seller, warehouse = shop
    _, june = upload(stock([1, 2]), warehouse)
    close_ledger_period(
        seller=seller, warehouse=warehouse, month=date(2016, 6, 17), reference="INV-2016-0042"
    )
    data = stock(["2016-06-30", "2016-07-01", "2016-06-29"], stock_qty=3)
    _, refused = upload(data, warehouse)
    reason = (
        "2016-06 is closed for seller shop123 at WH-1: its invoice (INV-2016-0042) is issued; corrections "
        "are credit notes or a supplementary invoice"
    )
    assert refused.status == LedgerFile.Status.FAILED
    assert refused.errors == [
        {"row": 2, "column": "business_date", "reason": reason},
        {"row": 4, "column": "business_date", "reason": reason},
    ]
    assert refused.message == "2 error(s) in 2 row(s)."
    assert in_force() == [(june.pk, 1), (june.pk, 2)] and not StockLedgerRow.objects.filter(
        ledger_file=refused
    )


def test_a_closed_month_between_a_sellers_first_and_last_day_refuses_the_upload(shop):
    seller, warehouse = shop
    _, old = upload(stock(["2016-06-10"]), warehouse)
    close_ledger_period(seller=seller, warehouse=warehouse, month=date(2016, 6, 1))
    _, refused = upload(stock(["2016-05-31", "2016-07-01"]), warehouse)  # would replace June's row
    assert refused.status == LedgerFile.Status.FAILED
    assert [(e["row"], e["column"]) for e in refused.errors] == [(None, "business_date")]
    assert refused.errors[0]["reason"].startswith(
        "this upload's days for seller shop123 run from 2016-05-31 to 2016-07-01: 2016-06 is closed"
    )
    assert in_force() == [(old.pk, 10)]


def test_a_closed_month_leaves_seller_uploads_other_sellers_and_other_months_open(shop):
    seller, warehouse = shop
    other = SellerFactory(code="other")
    close_ledger_period(seller=seller, warehouse=warehouse, month=date(2016, 6, 1))
    _, own_records = upload(stock([1]), warehouse, seller=seller, source="seller")
    _, other_seller = upload(stock([1], seller="other"), warehouse)
    _, july = upload(stock([1], month="2016-07"), warehouse)
    _, elsewhere = upload(stock([1]).replace(b"WH-1", b"WH-2"), WarehouseFactory(code="WH-2"))
    assert [f.status for f in (own_records, other_seller, july, elsewhere)] == ["stored"] * 4
    assert other_seller.seller is None and other.pk in set(
        StockLedgerRow.objects.values_list("seller", flat=True)
    )


def test_an_upload_with_rows_in_a_closed_month_cannot_be_withdrawn(shop):
    seller, warehouse = shop
    _, june = upload(stock(range(1, 31)), warehouse)
    _, fix = upload(stock(range(28, 31)) + b"2016-07-01,WH-1,shop123,A1,400,100,250,1,0,5\n", warehouse)
    close_ledger_period(seller=seller, warehouse=warehouse, month=date(2016, 6, 1), reference="INV-7")
    with pytest.raises(
        WithdrawalRefused, match=r"#\d+ cannot be withdrawn: 2016-06 is closed for seller shop123"
    ):
        withdraw_ledger_file(fix, by=None, reason="wrong", now=NOW)
    fix.refresh_from_db()
    assert fix.status == "stored" and in_force(business_date__month=6) == [
        (june.pk, d) for d in range(1, 28)
    ] + [(fix.pk, d) for d in range(28, 31)]
    # a seller's own records stay open for disputes
    _, mine = upload(stock([3]), warehouse, seller=seller, source="seller")
    assert withdraw_ledger_file(mine, by=None, reason="typo", now=NOW).ledger_file.status == "withdrawn"


def test_closing_a_month_is_idempotent_and_keeps_the_first_day(shop):
    seller, warehouse = shop
    line = ServiceLineFactory(warehouse=warehouse)
    first = close_ledger_period(
        seller=seller, service_line=line, month=date(2016, 6, 30), reference="INV-1", now=NOW
    )
    again = close_ledger_period(seller=seller, service_line=line, month=date(2016, 6, 1), reference="INV-2")
    assert again.pk == first.pk and (first.month, first.warehouse, first.reference) == (
        date(2016, 6, 1),
        warehouse,
        "INV-1",
    )
    assert ClosedPeriod.objects.count() == 1
    with pytest.raises(ValueError, match="another warehouse"):
        close_ledger_period(
            seller=seller, service_line=line, warehouse=WarehouseFactory(), month=date(2016, 6, 1)
        )


# --- an upload and a close at the same moment (PostgreSQL, each thread its own connection) -----------------


def someone_waits_on_my_transaction() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
            "AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return cursor.fetchone()[0]


def in_threads(*jobs):
    """Run each job in its own thread (its own database connection), started together at a barrier."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # reported by the test's assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def upload_job(data: bytes, warehouse):
    def job():
        return upload(data, warehouse)[1]

    return job


@pytest.fixture
def pg_shop(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return SellerFactory(code="shop123"), WarehouseFactory(code="WH-1", name="Warehouse one")


def test_an_upload_waits_for_a_close_being_issued_and_is_then_refused(pg_shop):
    seller, warehouse = pg_shop
    closed = threading.Event()

    def issue_invoice():
        with transaction.atomic():
            close_ledger_period(seller=seller, warehouse=warehouse, month=date(2016, 6, 1), reference="INV-9")
            closed.set()
            wait_for(someone_waits_on_my_transaction, timeout=30, interval=0.01)  # the upload queues behind
        return "issued"

    def upload_meanwhile():
        assert closed.wait(timeout=30)
        return upload(stock([1, 2]), warehouse)[1]

    issued, ledger_file = in_threads(issue_invoice, upload_meanwhile)
    assert issued == "issued", issued
    assert not isinstance(ledger_file, Exception), ledger_file
    assert ledger_file.status == "failed"
    assert [(e["row"], e["reason"][:40]) for e in ledger_file.errors] == [
        (2, "2016-06 is closed for seller shop123 at "),
        (3, "2016-06 is closed for seller shop123 at "),
    ]
    assert not StockLedgerRow.objects.exists()


def big_june(rows: int) -> bytes:
    lines = [HEADER] + [
        f"2016-06-{1 + n % 30:02d},WH-1,shop123,I{n // 30},400,100,250,1,0,5\n" for n in range(rows)
    ]
    return "".join(lines).encode()


def test_a_close_waits_for_an_upload_being_stored(pg_shop):
    seller, warehouse = pg_shop
    data = big_june(100_000)

    def issue_invoice_while_it_is_checked():
        # Progress is written every 25,000 rows from a side connection: the upload is then in the middle of
        # its storing transaction (rows checked, streamed into COPY, not committed).
        wait_for(
            lambda: LedgerFile.objects.filter(status="checking", rows_checked__gte=25_000).exists(),
            timeout=60,
            interval=0.005,
        )
        with transaction.atomic():
            close_ledger_period(seller=seller, warehouse=warehouse, month=date(2016, 6, 1))
            return LedgerFile.objects.get().status  # what the upload was when the month closed

    ledger_file, status_at_close = in_threads(upload_job(data, warehouse), issue_invoice_while_it_is_checked)
    assert not isinstance(ledger_file, Exception), ledger_file
    assert status_at_close == "stored"  # the close waited for the upload being stored
    assert ledger_file.status == "stored" and StockLedgerRow.objects.count() == 100_000


def test_an_upload_and_a_close_at_once_never_store_rows_in_the_closed_month(pg_shop):
    """Started together at a barrier, three times: whichever wins, the upload is stored before the close
    (the close saw it stored) or refused naming the closed month."""
    _, warehouse = pg_shop
    for attempt in range(3):
        seller = SellerFactory(code=f"race{attempt}")
        data = big_june(3_000).replace(b"shop123", seller.code.encode())

        def issue_invoice(seller=seller):
            with transaction.atomic():
                close_ledger_period(seller=seller, warehouse=warehouse, month=date(2016, 6, 1))
                return list(LedgerFile.objects.filter(status="stored").values_list("pk", flat=True))

        def upload_it(data=data, delay=0.001 * attempt):
            time.sleep(delay)
            return upload(data, warehouse)[1]

        stored_at_close, ledger_file = in_threads(issue_invoice, upload_it)
        assert not isinstance(ledger_file, Exception), ledger_file
        assert not isinstance(stored_at_close, Exception), stored_at_close
        if ledger_file.status == "stored":
            assert ledger_file.pk in stored_at_close
        else:
            assert ledger_file.status == "failed" and ledger_file.error_count == 3_000
            assert ledger_file.errors[0]["reason"].startswith(f"2016-06 is closed for seller {seller.code}")
            assert not StockLedgerRow.objects.filter(ledger_file=ledger_file).exists()


# --- admin and the seller's page -------------------------------------------------------------------------


def test_ops_withdraw_an_upload_in_admin_with_a_reason(admin_client, admin_user, shop):
    _, warehouse = shop
    _, june = upload(stock(range(1, 11)), warehouse)
    _, fix = upload(stock(range(5, 11), stock_qty=8), warehouse)
    changelist = reverse("admin:inventory_ledgerfile_changelist")

    ask = admin_client.post(changelist, {"action": "withdraw_uploads", "_selected_action": [fix.pk]})
    assert ask.status_code == 200 and "Withdraw ledger uploads" in ask.content.decode()
    blank = admin_client.post(
        changelist, {"action": "withdraw_uploads", "_selected_action": [fix.pk], "apply": "1", "reason": ""}
    )
    assert blank.status_code == 200 and "This field is required." in blank.content.decode()
    fix.refresh_from_db()
    assert fix.status == "stored"

    done = admin_client.post(
        changelist,
        {"action": "withdraw_uploads", "_selected_action": [fix.pk], "apply": "1", "reason": "May's counts"},
        follow=True,
    )
    assert f"Upload #{fix.pk} withdrawn: 6 rows out of force, 6 older rows back." in done.content.decode()
    fix.refresh_from_db()
    assert (fix.status, fix.withdrawn_by, fix.withdrawal_reason) == ("withdrawn", admin_user, "May's counts")
    assert in_force() == [(june.pk, d) for d in range(1, 11)]

    listed = admin_client.get(changelist, {"status__exact": "withdrawn"})
    assert [f.pk for f in listed.context_data["cl"].result_list] == [fix.pk]
    page = admin_client.get(reverse("admin:inventory_ledgerfile_change", args=[june.pk])).content.decode()
    assert "6 rows replaced by" in page and f"#{fix.pk} june.csv" in page
    page = admin_client.get(reverse("admin:inventory_ledgerfile_change", args=[fix.pk])).content.decode()
    assert "Replaces 6 rows of" in page and "May&#x27;s counts" in page


def test_an_upload_cannot_be_deleted_in_admin_even_by_a_superuser(admin_client, shop):
    _, warehouse = shop
    _, june = upload(stock(range(1, 6)), warehouse)
    _, fix = upload(stock(range(3, 6), stock_qty=8), warehouse)
    response = admin_client.post(reverse("admin:inventory_ledgerfile_delete", args=[fix.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert LedgerFile.objects.count() == 2 and in_force() == [(june.pk, 1), (june.pk, 2)] + [
        (fix.pk, d) for d in range(3, 6)
    ]


def test_finance_cannot_withdraw_and_ops_can(client, shop):
    """Withdrawing is on the ops allow-list (portal/roles.py), not on finance's."""
    _, warehouse = shop
    _, stored = upload(stock([1]), warehouse)
    form = {
        "action": "withdraw_uploads",
        "_selected_action": [stored.pk],
        "apply": "1",
        "reason": "wrong file",
    }
    for group, status in (("finance", "stored"), ("ops", "withdrawn")):
        staff = UserFactory(is_staff=True)
        staff.groups.add(Group.objects.get(name=group))
        client.force_login(staff)
        client.post(reverse("admin:inventory_ledgerfile_changelist"), form)
        stored.refresh_from_db()
        assert stored.status == status, group


def test_the_sellers_upload_page_shows_what_replaced_what_and_a_withdrawal(owner_client, owner):
    seller = owner.seller
    warehouse = WarehouseFactory(code="WH-1")
    data = stock(range(1, 11), seller=seller.code)
    _, old = upload(data, warehouse, seller=seller, source="seller", user=owner.user)
    _, new = upload(
        stock(range(5, 11), seller=seller.code, stock_qty=3),
        warehouse,
        seller=seller,
        source="seller",
        user=owner.user,
    )

    page = owner_client.get(reverse("inventory:ledger-file", args=[old.pk])).content.decode()
    assert (
        f'6 rows replaced by <a href="{reverse("inventory:ledger-file", args=[new.pk])}">upload #{new.pk}</a>'
        in page
    )
    assert f"by {owner.user.email}." in page
    page = owner_client.get(reverse("inventory:ledger-file", args=[new.pk])).content.decode()
    assert (
        f'Replaces <a href="{reverse("inventory:ledger-file", args=[old.pk])}">upload #{old.pk}</a> (6 rows)'
        in page
    )
    listing = owner_client.get(reverse("inventory:ledger-list")).content.decode()
    assert f"replaced by #{new.pk}" in listing and f"replaces #{old.pk}" in listing

    staff = UserFactory(email="ops-person@example.com", is_staff=True)
    withdraw_ledger_file(new, by=staff, reason="counted twice", now=NOW)
    page = owner_client.get(reverse("inventory:ledger-file", args=[new.pk])).content.decode()
    assert "by the warehouse team: its rows are no longer in force." in page and "counted twice" in page
    assert "ops-person@example.com" not in page and "Withdrawn" in page


def test_two_identical_retries_of_a_refused_file_at_once_make_one_new_attempt(pg_shop):
    from tests.inventory.test_ledger_import import at_once

    seller, warehouse = pg_shop
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.PENDING)
    _, refused = upload(stock([1]), warehouse)
    assert refused.status == "failed"
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.ACTIVE)

    def retry():
        return create_upload(
            uploaded=io.BytesIO(stock([1])),
            name="june.csv",
            seller=None,
            warehouse=warehouse,
            kind="stock",
            source="warehouse",
            user=None,
            enqueue=False,
        )

    results = at_once(retry, retry)
    assert not [r for r in results if isinstance(r, Exception)], results
    first, second = sorted(results, key=lambda r: not r.created)
    assert (first.created, second.created) == (True, False)
    assert second.ledger_file.pk == first.ledger_file.pk != refused.pk
    assert LedgerFile.objects.count() == 2
    assert import_ledger_file(first.ledger_file.pk).status == "stored"
