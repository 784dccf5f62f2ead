"""A seller's month-to-date preview and stored volume (issue 12): computed by the worker's service when
warehouse rows arrive, read by the dashboard and the preview page (which never compute them)."""

from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from billing import figures
from billing.models import Invoice, SellerFigures
from tests.billing.test_close import OUTBOUND, STOCK, upload
from tests.factories import ContractFactory, ServiceLineFactory, preset_card

MID_JUNE = date(2016, 6, 15)


@pytest.fixture
def shop(owner):
    seller = owner.seller
    line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    return seller, line


def test_the_preview_prices_the_rows_stored_so_far_with_the_closes_engine(shop):
    seller, line = shop
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND, seller=seller, line=line)

    data = figures.month_to_date(seller, today=MID_JUNE)

    assert data["period"] == "2016-06" and data["as_of"] == "2016-06-15"
    (entry,) = data["contracts"]
    assert (entry["service_line"], entry["rate_card"], entry["currency"]) == (
        "bonded",
        "cainiao-bonded",
        "CNY",
    )
    assert entry["sections"]["storage"] == "0.90" and entry["sections"]["fulfilment"] == "38.50"
    assert entry["total"] == "39.40"
    assert not Invoice.objects.exists()  # a preview stores no invoice


def test_stored_volume_is_the_daily_sum_over_the_last_90_days(shop):
    seller, line = shop
    upload("stock", STOCK, seller=seller, line=line)

    data = figures.stored_volume(seller, today=MID_JUNE)

    assert len(data["labels"]) == len(data["volumes"]) == 90
    assert data["labels"][0] == "2016-03-18" and data["labels"][-1] == "2016-06-15"
    by_day = dict(zip(data["labels"], data["volumes"], strict=True))
    # 06-01: A 0.1*0.3*0.2/3*10 = 0.02 plus B 0.4*0.5*0.6*2 = 0.24; 06-02: A 0.1*0.3*0.2/3*20 = 0.04
    assert by_day["2016-06-01"] == "0.260" and by_day["2016-06-02"] == "0.040"
    assert by_day["2016-06-03"] is None


def test_a_warehouse_upload_queues_the_refresh_after_commit(shop, django_capture_on_commit_callbacks):
    seller, line = shop
    task = "billing.tasks.refresh_seller_figures_task.delay"
    with mock.patch(task) as delay, django_capture_on_commit_callbacks(execute=True):
        upload("stock", STOCK, seller=seller, line=line)
    delay.assert_called_once_with(seller.pk)
    assert set(SellerFigures.objects.filter(seller=seller).values_list("key", "status")) == {
        ("month_to_date", "queued"),
        ("stored_volume", "queued"),
    }


def test_the_dashboard_reads_the_stored_figures_and_queues_the_first_computation(
    shop, owner_client, django_capture_on_commit_callbacks
):
    seller, line = shop
    task = "billing.tasks.refresh_seller_figures_task.delay"
    with mock.patch(task) as delay, django_capture_on_commit_callbacks(execute=True):
        response = owner_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert (
        'id="fees-pending"' in response.content.decode()
        and 'id="volume-pending"' in response.content.decode()
    )
    delay.assert_called_once_with(seller.pk)

    upload("stock", STOCK, seller=seller, line=line)
    with mock.patch("django.utils.timezone.localdate", return_value=MID_JUNE):
        figures.refresh_figures(seller, today=MID_JUNE)
        with mock.patch("billing.figures.month_to_date") as compute:
            page = owner_client.get(reverse("portal:dashboard")).content.decode()
    compute.assert_not_called()  # the page only reads
    assert 'id="fees-chart"' in page and 'id="volume-chart"' in page
    assert "&quot;0.90&quot;" in page or '"0.90"' in page


def test_the_preview_page_is_marked_as_a_preview_and_shows_each_line(shop, owner_client):
    seller, line = shop
    upload("stock", STOCK, seller=seller, line=line)
    figures.refresh_figures(seller, today=MID_JUNE)
    with mock.patch("django.utils.timezone.localdate", return_value=MID_JUNE):
        page = owner_client.get(reverse("portal:month-to-date")).content.decode()
    assert 'id="preview-note"' in page and "Preview" in page
    assert page.count('class="card mb-3 preview-contract"') == 1
    assert "0.90" in page and "39.40" not in page  # storage only: no parcels stored
