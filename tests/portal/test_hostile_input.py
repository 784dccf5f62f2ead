"""No input ever gives a 500: hostile values in every seller-facing form and query parameter.

The test walks the URL conf (every ``SellerViewMixin`` view, as the tenancy test does), GETs each page as
an owner whose seller has data (SKUs over more than one page, orders, a contract, stock ledger rows...),
reads the page's ``<form>`` fields and the query parameters of its links, adds the parameters every list
takes (``page``, ``per_page``, ``sort``), then sends hostile values: huge, negative and zero numbers,
overlong text, non-numbers, impossible dates and months, NUL bytes, invalid UTF-8 (``%ff%fe`` in the
query string, raw bytes in POST bodies). A form added later is covered as soon as a page shows it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    CertificateFactory,
    ContractFactory,
    InboundOrderFactory,
    InvitationFactory,
    LedgerFileFactory,
    SellerUserFactory,
    SkuFactory,
)
from tests.portal.test_tenancy import own_url, seller_urls

BIG = "9" * 30
LIST_PARAMS = ("page", "per_page", "sort")
NOT_TARGETS = {"logout"}  # posting it ends the session: the rest of the examples would test the login page
EXAMPLES_PER_PAGE = 8
EXAMPLES_PER_DOWNLOAD = 2  # PDFs and files: slow to build, and their parameters are the URL's

HOSTILE_VALUES = [
    BIG,
    "-" + BIG,
    "1" + "0" * 400,
    "-1",
    "0",
    "0.0",
    "1e400",
    "-1e-400",
    "NaN",
    "Infinity",
    "99999999999999.99999999",
    "0000-00",
    "9999-12",
    "9999-99",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "20240230",
    "x" * 5000,
    "\x00",
    "1\x00",
    "１２３",  # full-width digits
    "٣",  # an Arabic-Indic digit
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "",
    " ",
]
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=40),
)
RAW_BYTES = [b"\xff\xfe", b"\xc3\x28", b"\x00", b"%ff%fe", b"\xed\xa0\x80", b"9" * 30]


@dataclass
class Target:
    """Where hostile values go: a form (method, action, fields with their defaults) or the page's query."""

    method: str
    url: str
    fields: dict = field(default_factory=dict)
    files: set = field(default_factory=set)
    multipart: bool = False


class PageParser(HTMLParser):
    """The page's forms and their fields, and the query parameter names of its links."""

    def __init__(self):
        super().__init__()
        self.forms: list[Target] = []
        self.link_params: dict[str, set] = {}
        self.form = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form = Target(
                method=(a.get("method") or "get").lower(),
                url=a.get("action") or "",
                multipart="multipart" in (a.get("enctype") or ""),
            )
            self.forms.append(self.form)
        elif tag == "a" and a.get("href") and "?" in a["href"]:
            parts = urlsplit(a["href"])
            self.link_params.setdefault(parts.path, set()).update(k for k, _ in parse_qsl(parts.query))
        elif self.form is not None and a.get("name"):
            name = a["name"]
            if tag == "input":
                kind = (a.get("type") or "text").lower()
                if kind == "file":
                    self.form.files.add(name)
                elif kind in ("checkbox", "radio"):
                    if "checked" in a or name not in self.form.fields:
                        self.form.fields[name] = a.get("value", "on")
                elif kind != "submit":
                    self.form.fields[name] = a.get("value") or ""
            elif tag == "select":
                self.select = name
                self.form.fields.setdefault(name, "")
            elif tag == "textarea":
                self.form.fields[name] = ""
        elif (
            tag == "option"
            and self.select
            and self.form is not None
            and ("selected" in a or not self.form.fields.get(self.select))
        ):
            self.form.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def targets_of(url: str, html: str) -> list[Target]:
    parser = PageParser()
    parser.feed(html)
    path = urlsplit(url).path
    query = Target(method="get", url=path, fields=dict.fromkeys(LIST_PARAMS, ""))
    targets = [query]
    for form in parser.forms:
        form.url = urlsplit(form.url).path or path
        try:
            if resolve(form.url).url_name in NOT_TARGETS:
                continue
        except Resolver404:
            continue
        if form.method == "get" and form.url == path:
            query.fields.update(form.fields)  # a filter form: its fields are the list's query parameters
        else:
            targets.append(form)
    for name in parser.link_params.get(path, ()):  # e.g. the tables' prefixed m-page, i-sort...
        query.fields.setdefault(name, "")
    return targets


def send(client: Client, target: Target, hostile: dict, raw: bytes | None):
    """Send the target's defaults overridden by ``hostile``; ``raw`` adds undecodable bytes."""
    values = {**target.fields, **hostile}
    if target.method == "get":
        query = urlencode(values)
        if raw is not None:
            name = next(iter(hostile))
            query += f"&{quote(name)}={quote(raw)}&{quote(raw)}=1"
        return client.get(f"{target.url}?{query}")
    if raw is not None:
        body = urlencode(values).encode() + b"&" + next(iter(hostile)).encode() + b"=" + raw
        return client.post(target.url, data=body, content_type="application/x-www-form-urlencoded")
    if target.multipart or target.files:
        for name in target.files:
            values[name] = SimpleUploadedFile("hostile.csv", b"\xff\xfe\x00" + (raw or b"9" * 30))
        return client.post(target.url, data=values)
    return client.post(target.url, data=values)


@pytest.fixture
def seller_with_data(owner):
    """The owner's seller with something on every page: more SKUs than a page, orders, ledger rows."""
    from inventory.models import LedgerFile, StockLedgerRow

    seller = owner.seller
    warehouse = ContractFactory(seller=seller).service_line.warehouse  # the tenancy walk adds its own card
    skus = [SkuFactory(seller=seller) for _ in range(27)]
    CertificateFactory(sku=skus[0])
    InboundOrderFactory(seller=seller, warehouse=warehouse)
    InboundOrderFactory(seller=seller, warehouse=warehouse, state="submitted")
    InvitationFactory(seller=seller)
    SellerUserFactory(seller=seller, role="staff")
    ledger = LedgerFileFactory(seller=seller, warehouse=warehouse, status=LedgerFile.Status.STORED, errors=[])
    StockLedgerRow.objects.bulk_create(
        StockLedgerRow(
            ledger_file=ledger,
            seller=seller,
            warehouse=warehouse,
            source="seller",
            row_number=day + 1,
            business_date=date(2016, 6, day),
            item_id=skus[0].code,
            length_mm=300,
            height_mm=100,
            width_mm=200,
            daily_volume_m3=Decimal("0.006"),
            sales_qty=1,
            stock_qty=100 - day,
        )
        for day in range(1, 29)
    )
    return seller


def pages():
    return [(name, pattern) for name, pattern in seller_urls() if hasattr(pattern.callback.view_class, "get")]


def test_the_walk_reads_forms_and_query_parameters(owner, seller_with_data):
    client = Client()
    client.force_login(owner.user)
    targets = targets_of("/skus/new/", client.get("/skus/new/").content.decode())
    assert any({"code", "hs_code", "declared_value"} <= set(t.fields) for t in targets if t.method == "post")
    targets = targets_of("/account/", client.get("/account/").content.decode())
    assert {"q", "role", "page", "sort"} <= set(targets[0].fields)
    assert any("email" in t.fields and t.method == "post" for t in targets)


def test_no_hostile_input_gives_a_500(owner, seller_with_data):
    """One test over every seller page (the seller's data is built once: the walk stays under a minute)."""
    client = Client(raise_request_exception=False)
    client.force_login(owner.user)
    for name, pattern in pages():
        hostile_requests_to(client, own_url(name, pattern, seller_with_data))


def hostile_requests_to(client: Client, url: str) -> None:
    page = client.get(url)
    assert page.status_code < 500, f"GET {url}"
    is_html = page.status_code == 200 and page["Content-Type"].startswith("text/html")
    targets = targets_of(url, page.content.decode()) if is_html else [Target(method="get", url=url)]
    if not targets[0].fields:
        targets[0].fields = dict.fromkeys(LIST_PARAMS, "")

    # Every list parameter and filter field with a 30-digit number and impossible months, deterministically.
    for param in targets[0].fields if is_html else ():
        for value in (BIG, "0000-00", "9999-12", *(("0", "-1") if param in LIST_PARAMS else ())):
            response = send(client, targets[0], {param: value}, None)
            assert response.status_code < 500, f"GET {url} with {param}={value!r}"
    # Every field of every other form with a 30-digit number (ids of choices, counts, sizes...).
    for target in targets[1:]:
        for name in target.fields:
            response = send(client, target, {name: BIG}, None)
            assert response.status_code < 500, f"{target.method.upper()} {target.url} with {name}={BIG}"

    @settings(
        max_examples=EXAMPLES_PER_PAGE if is_html else EXAMPLES_PER_DOWNLOAD,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def hostile_request(data):
        target = data.draw(st.sampled_from(targets), label="target")
        names = sorted(set(target.fields) | target.files)
        hostile = data.draw(st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1, max_size=3))
        raw = data.draw(st.none() | st.sampled_from(RAW_BYTES), label="raw bytes")
        response = send(client, target, hostile, raw)
        assert response.status_code < 500, f"{target.method.upper()} {target.url} {hostile!r} raw={raw!r}"

    hostile_request()


# --- The findings one by one: each bad value gets a clear answer, not just "no 500". ---


@pytest.fixture
def quote_contract(owner):
    from tests.factories import preset_card

    return ContractFactory(seller=owner.seller, rate_card=preset_card("cainiao-bonded"))


QUOTE = {"mode": "parcel", "weight_kg": "3.5", "length_cm": "30", "width_cm": "20", "height_cm": "10"}
QUOTE |= {"sku_kinds": "2", "units": "1"}


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "1999-12", "2100-01"])
def test_a_quote_for_an_impossible_month_is_a_form_error(owner_client, quote_contract, period):
    response = owner_client.get("/quote/", {"contract": quote_contract.pk, "period": period, **QUOTE})
    assert response.status_code == 200
    assert response.context["form"].errors["period"] == ["Enter a month between 2000-01 and 2099-12."]


@pytest.mark.parametrize(
    "field,value",
    [("weight_kg", "999999.999"), ("length_cm", "999999.9"), ("units", BIG), ("sku_kinds", "1000001")],
)
def test_a_quote_with_huge_figures_names_the_field(owner_client, quote_contract, field, value):
    data = {"contract": quote_contract.pk, "period": "2026-10", **QUOTE, field: value}
    response = owner_client.get("/quote/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "computation" not in response.context


def test_an_amount_beyond_decimal_precision_is_a_rule_error(quote_contract):
    from tariffs.quote import CardTerms, ParcelInput, quote_parcel
    from tariffs.rules import Period, RuleError
    from tariffs.selectors import rule_specs, version_in_force

    card = quote_contract.rate_card
    period = Period(2026, 10)
    terms = CardTerms(tuple(rule_specs(version_in_force(card, period))), card.currency, "regular", Decimal(0))
    huge = Decimal("1e30")
    with pytest.raises(RuleError, match="too large to price"):
        quote_parcel(terms, ParcelInput(huge, huge, huge, huge, 1, 1), period)


@pytest.mark.parametrize(
    "query,page,rows",
    [
        ({"page": BIG}, 2, 2),  # past the end: the last page
        ({"page": "-" + BIG}, 1, 25),
        ({"page": "abc"}, 1, 25),
        ({"per_page": "0"}, 1, 1),
        ({"per_page": BIG}, 1, 27),
        ({"per_page": "-5", "page": "3"}, 3, 1),
    ],
)
def test_a_bad_page_or_page_size_shows_a_page(owner_client, owner, query, page, rows):
    for _ in range(27):
        SkuFactory(seller=owner.seller)
    response = owner_client.get("/skus/", query)
    assert response.status_code == 200
    table = response.context["table"]
    assert (table.page.number, len(table.page.object_list)) == (page, rows)


@pytest.mark.parametrize("month", ["0000-00", "9999-99", BIG + "-01", "2016-6"])
def test_a_bad_chart_month_shows_the_latest_month(owner_client, seller_with_data, month):
    response = owner_client.get("/ledgers/rows/stock/", {"month": month})
    assert response.status_code == 200
    assert response.context["month"] == "2016-06"


def test_the_last_possible_month_has_an_empty_chart(owner_client, seller_with_data):
    response = owner_client.get("/ledgers/rows/stock/", {"month": "9999-12"})
    assert response.status_code == 200
    assert response.context["month"] == "9999-12" and not response.context["has_chart"]


def test_a_forged_carton_row_count_builds_at_most_the_line_limit(owner_client, owner, settings):
    data = {"cartons-TOTAL_FORMS": BIG, "cartons-INITIAL_FORMS": "0", "order-warehouse": ""}
    response = owner_client.post("/inbound/new/", data)
    assert response.status_code == 400
    formset = response.context["formset"]
    assert len(formset.forms) == settings.INBOUND_MAX_LINES == 200
    assert "An order has at most 200 lines (groups of identical cartons)." in formset.non_form_errors()
