"""Seller pages of ledgers (SPEC §6, §13): upload with a live progress bar, the result or every bad row
(also as CSV), rows per kind with filters and export, and the stock month's chart and consistency check."""

import csv
import io
import json
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

import django_filters
import django_tables2 as tables
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_tables2.utils import OrderBy, OrderByTuple

from inventory.exports import (
    CONTENT_TYPES,
    create_export,
    export_name,
    filters_of,
    ledger_rows_of,
    write_rows,
)
from inventory.ledgers.checks import chart_source, daily_totals, stock_findings
from inventory.ledgers.imports import UploadRefused, create_upload
from inventory.ledgers.kinds import KINDS
from inventory.models import LedgerFile, LedgerReplacement
from portal.models import SellerUser, Warehouse
from portal.paging import Key, SafeRequestConfig
from portal.tenancy import SellerObjectMixin, SellerViewMixin, scope
from tariffs.models import Contract


def contracted_warehouses(seller):
    return Warehouse.objects.filter(
        pk__in=Contract.objects.filter(seller=seller).values("service_line__warehouse")
    )


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("Ledger"), choices=LedgerFile.Kind.choices)
    warehouse = forms.ModelChoiceField(label=_lazy("Warehouse"), queryset=Warehouse.objects.none())
    file = forms.FileField(label=_lazy("File (CSV or XLSX)"))

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class LedgerFileTable(tables.Table):
    pk = tables.Column(verbose_name="#", orderable=True, order_by=("id",))
    original_name = tables.Column(
        verbose_name=_lazy("File"), linkify=("inventory:ledger-file", {"pk": tables.A("pk")})
    )
    status = tables.TemplateColumn(
        template_name="inventory/_ledger_status.html", verbose_name=_lazy("Status")
    )
    versions = tables.TemplateColumn(
        template_name="inventory/_ledger_replacements.html",
        verbose_name=_lazy("Versions"),
        orderable=False,
        empty_values=(),
    )

    class Meta:
        model = LedgerFile
        fields = (
            "pk",
            "original_name",
            "kind",
            "warehouse",
            "source",
            "status",
            "versions",
            "row_count",
            "period_start",
            "period_end",
            "uploaded_at",
        )
        order_by = ("-uploaded_at",)
        empty_text = _lazy("No upload yet.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap"}


class LedgerListView(SellerViewMixin, TemplateView):
    """The seller's uploads and the upload form."""

    template_name = "inventory/ledger_list.html"

    def get_context_data(self, **kwargs):
        files = scope(LedgerFile.objects.select_related("warehouse"), self.seller).prefetch_related(
            "replacement_records", "replaced_records"
        )
        table = LedgerFileTable(files)
        SafeRequestConfig(self.request, paginate={"per_page": 20}).configure(table)
        form = kwargs.pop("form", None) or UploadForm(warehouses=contracted_warehouses(self.seller))
        return super().get_context_data(table=table, form=form, kinds=LedgerFile.Kind.choices, **kwargs)

    def post(self, request):
        form = UploadForm(request.POST, request.FILES, warehouses=contracted_warehouses(self.seller))
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                result = create_upload(
                    uploaded=uploaded,
                    name=uploaded.name,
                    seller=self.seller,
                    warehouse=form.cleaned_data["warehouse"],
                    kind=form.cleaned_data["kind"],
                    source=LedgerFile.Source.SELLER,
                    user=request.user,
                    max_bytes=settings.LEDGER_MAX_BYTES,
                )
            except UploadRefused as exc:
                form.add_error("file", str(exc))
            else:
                if not result.created:
                    messages.info(
                        request,
                        _("This file was uploaded before (%(date)s); it is stored once.")
                        % {"date": result.ledger_file.uploaded_at.date()},
                    )
                return redirect("inventory:ledger-file", pk=result.ledger_file.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LedgerFileView(SellerObjectMixin, DetailView):
    """One upload: a progress bar while it runs (htmx polls this page), then its result."""

    scoped_model = LedgerFile
    template_name = "inventory/ledger_file.html"
    context_object_name = "ledger_file"

    def get_object(self, queryset=None):
        return self.get_scoped_object(pk=self.kwargs["pk"])

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["inventory/_ledger_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ledger_file = self.object
        running = ledger_file.status in (
            LedgerFile.Status.QUEUED,
            LedgerFile.Status.CHECKING,
            LedgerFile.Status.STORING,
        )
        return super().get_context_data(
            running=running, history=upload_history(ledger_file, self.seller), **kwargs
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an upload's history on the seller's page (SPEC §6: replaced versions are kept)."""

    kind: str  # "replaces", "replaced_by" or "withdrawn"
    when: datetime
    file_id: int | None = None
    visible: bool = False  # the other upload is the seller's own: link to it
    rows: int = 0
    who: str = ""
    reason: str = ""


def upload_history(ledger_file: LedgerFile, seller) -> list[HistoryEntry]:
    """What this upload replaced, what replaced it (when, by whom) and its withdrawal, oldest first. Staff
    logins are not named to the seller ("the warehouse team"); only its own users are."""
    members = set(SellerUser.objects.filter(seller=seller).values_list("user_id", flat=True))

    def who(user) -> str:
        return user.email if user is not None and user.pk in members else _("the warehouse team")

    entries = [
        HistoryEntry(
            "replaces",
            record.replaced_at,
            file_id=record.old_file_id,
            visible=record.old_file.seller_id == seller.pk,
            rows=record.rows,
        )
        for record in LedgerReplacement.objects.filter(new_file=ledger_file).select_related("old_file")
    ]
    entries += [
        HistoryEntry(
            "replaced_by",
            record.replaced_at,
            file_id=record.new_file_id,
            visible=record.new_file.seller_id == seller.pk,
            rows=record.rows,
            who=who(record.new_file.uploaded_by),
        )
        for record in LedgerReplacement.objects.filter(old_file=ledger_file).select_related(
            "new_file__uploaded_by"
        )
    ]
    if ledger_file.status == LedgerFile.Status.WITHDRAWN:
        entries.append(
            HistoryEntry(
                "withdrawn",
                ledger_file.withdrawn_at,
                who=who(ledger_file.withdrawn_by),
                reason=ledger_file.withdrawal_reason,
            )
        )
    return sorted(entries, key=lambda entry: (entry.when, entry.file_id or 0))


class LedgerErrorsView(SellerObjectMixin, View):
    """Every bad row of a refused upload, as CSV (row, column, reason)."""

    scoped_model = LedgerFile

    def get(self, request, pk):
        ledger_file = self.get_scoped_object(pk=pk)
        if ledger_file.error_file:
            content = ledger_file.error_file.read()
        elif ledger_file.errors:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["row", "column", "reason"])
            writer.writerows([e["row"], e["column"], e["reason"]] for e in ledger_file.errors)
            content = out.getvalue().encode()
        else:
            raise Http404(_("This upload has no errors."))
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{ledger_file.pk}-errors.csv"'
        return response


class RowFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_lazy("Search"), method="search")
    warehouse = django_filters.ModelChoiceFilter(label=_lazy("Warehouse"), queryset=Warehouse.objects.none())
    source = django_filters.ChoiceFilter(
        label=_lazy("Source"), choices=LedgerFile.Source.choices, empty_label=_lazy("Any source")
    )
    date_from = django_filters.DateFilter(label=_lazy("From"), method="from_day")
    date_to = django_filters.DateFilter(label=_lazy("To"), method="to_day")

    def __init__(self, *args, kind, seller, warehouses, **kwargs):
        self.kind = kind
        self.seller = seller
        super().__init__(*args, **kwargs)
        self.filters["warehouse"].queryset = warehouses

    def search(self, queryset, name, value):
        if self.kind == "stock":
            return stock_search(queryset, self.seller, value)
        return queryset.filter(**{f"{KINDS[self.kind].search_field}__icontains": value})

    def from_day(self, queryset, name, value):
        return queryset.filter(**{f"{date_field(self.kind)}__gte": value})

    def to_day(self, queryset, name, value):
        return queryset.filter(**{f"{date_field(self.kind)}__lte": value})


def row_filter(seller, kind: str, query) -> RowFilter:
    """The seller's current rows of ``kind`` under the rows page's filters (also used by exports)."""
    queryset = scope(KINDS[kind].model.objects.filter(is_current=True), seller)
    queryset = queryset.select_related("warehouse", "service_line").order_by(
        f"-{date_field(kind)}", "row_number", "id"
    )
    # The warehouses the seller has rows at: one index probe per warehouse, not a pass over the rows.
    warehouses = Warehouse.objects.filter(Exists(queryset.filter(warehouse=OuterRef("pk")).values("pk")))
    return RowFilter(query, queryset=queryset, kind=kind, seller=seller, warehouses=warehouses)


def filtered_rows(seller, kind: str, query):
    return row_filter(seller, kind, query).qs


def date_field(kind: str) -> str:
    return KINDS[kind].date_field


# The rows page in pages that cost the same at 10k and at 1M stored rows (issue 11): keyset pages (no
# COUNT, no OFFSET) through an index in the page's order. Sorting by the day or (stock) by the item runs
# through an index over all the rows; sorting by any other column sorts the newest SORT_WINDOW rows of
# the filter (the page says so), which costs the same however many rows are stored.
SORT_WINDOW = 5_000
COUNT_CAP = 10_000  # "10,000+ rows" past this: an exact count would read every row
SEARCH_MAX_ITEMS = 50  # a stock search matching more items than this scans in date order instead
INDEXED_SORTS = {"stock": ("item_id",)}  # besides the day: columns with a (seller, column, day...) index


def keyset_keys(kind: str, alias: str | None) -> tuple[list[Key], bool]:
    """The keyset order of a sort alias (the day's, newest first, by default) and whether it sorts the
    bounded window rather than every row."""
    day = date_field(kind)
    newest = [Key(day, descending=True), Key("row_number"), Key("id")]
    name = (alias or "").lstrip("-")
    descending = bool(alias) and alias.startswith("-")
    if not name or name == day:
        if name and not descending:  # oldest first: the same index, days read backwards
            return [Key(day), Key("row_number"), Key("id")], False
        return newest, False
    if name in INDEXED_SORTS.get(kind, ()):  # ties newest first; the whole order flips with the column
        flip = [Key(k.lookup, descending=not k.descending) for k in newest] if descending else newest
        return [Key(name, descending=descending), *flip], False
    field = KINDS[kind].model._meta.get_field(name)
    lookup = "warehouse__code" if name == "warehouse" else name
    return [Key(lookup, descending=descending, nullable=field.null), Key("id", descending=descending)], True


def stock_search(queryset, seller, text: str):
    """Rows whose item id contains ``text`` (as the filter's icontains): the seller's matching item ids
    are found first by a skip scan of the (seller, item) index, one probe per distinct item, then the rows
    of at most SEARCH_MAX_ITEMS of them through that index; a broader search scans in date order, where
    matches are dense enough to fill a page quickly."""
    table = KINDS["stock"].model._meta.db_table
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = f"""
        WITH RECURSIVE items(item_id) AS (
            (SELECT item_id FROM {table} WHERE seller_id = %s AND is_current ORDER BY item_id LIMIT 1)
            UNION ALL
            SELECT (SELECT r.item_id FROM {table} r WHERE r.seller_id = %s AND r.is_current
                    AND r.item_id > items.item_id ORDER BY r.item_id LIMIT 1)
            FROM items WHERE items.item_id IS NOT NULL
        )
        SELECT item_id FROM items WHERE item_id IS NOT NULL AND UPPER(item_id) LIKE UPPER(%s) LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [seller.pk, seller.pk, pattern, SEARCH_MAX_ITEMS + 1])
        items = [row[0] for row in cursor.fetchall()]
    if len(items) > SEARCH_MAX_ITEMS:
        return queryset.filter(item_id__icontains=text)
    return queryset.filter(item_id__in=items)


class KeysetTable(tables.Table):
    """A table given one keyset page already in order: its order sets the header links, not the rows.
    The page's links (``table.keyset_page``) carry cursors instead of page numbers."""

    class Meta:
        template_name = "inventory/_keyset_table.html"

    @property
    def order_by(self):
        return self._order_by

    @order_by.setter
    def order_by(self, value):
        aliases = [value] if isinstance(value, str) else list(value or ())
        self._order_by = OrderByTuple(
            [a for a in aliases if (n := OrderBy(a).bare) in self.columns and self.columns[n].orderable]
        )

    def cell_rows(self) -> list[list]:
        """The page's cells as plain values, formatted here once: tables2 renders each cell through
        ``inspect.signature`` (and a date through a template compiled per cell), which cost two thirds
        of the page's time."""
        columns = [(column.name, column.default) for column in self.columns]
        rows = []
        for record in self.data:
            cells = []
            for name, default in columns:
                display = getattr(record, f"get_{name}_display", None)
                value = display() if display else getattr(record, name)
                if name == "service_line" and value is not None:
                    value = value.name  # its warehouse is the column before
                if isinstance(value, bool):
                    value = "✔" if value else "✘"
                elif isinstance(value, date):
                    value = date_format(value, "SHORT_DATE_FORMAT")
                cells.append(default if value in (None, "") else value)
            rows.append(cells)
        return rows


class DayColumn(tables.Column):
    """A date in the short local format, without a template compiled per cell (DateColumn's way)."""

    def render(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")


def row_table_class(kind: str):
    model = KINDS[kind].model
    day = date_field(kind)
    attrs = {day: DayColumn(verbose_name=capfirst(model._meta.get_field(day).verbose_name))}
    base = type(f"{model.__name__}Table", (KeysetTable,), attrs)
    return tables.table_factory(
        model, base, fields=["warehouse", "service_line", "source", *KINDS[kind].shown]
    )


class LedgerRowsView(SellerViewMixin, TemplateView):
    """The seller's current rows of one ledger kind, filtered; ``?export=csv|xlsx`` downloads them."""

    template_name = "inventory/ledger_rows.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in KINDS:
            raise Http404("Unknown ledger kind.")
        return super().dispatch(request, *args, **kwargs)

    def rows(self):
        return row_filter(self.seller, self.kwargs["kind"], self.request.GET)

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            queryset = self.rows().qs
            if queryset[: settings.EXPORT_INLINE_MAX_ROWS + 1].count() <= settings.EXPORT_INLINE_MAX_ROWS:
                return export_rows(queryset, self.kwargs["kind"], export)
            job = create_export(
                seller=self.seller,
                user=request.user,
                kind=f"ledger:{self.kwargs['kind']}",
                filters=filters_of(request.GET),
                file_format=export,
            )
            return redirect("inventory:export", pk=job.pk)
        if self.kwargs["kind"] == "stock" and request.GET.get("panel") == "month":
            return TemplateResponse(request, "inventory/_stock_month.html", self.stock_month(self.rows()))
        return super().get(request, *args, **kwargs)

    def sort_alias(self, table_class) -> str | None:
        """The table's sort (one column), when the query string names an orderable column."""
        table = table_class([])
        table.order_by = [v for v in self.request.GET.getlist(table.prefixed_order_by_field) if v][:1]
        return table.order_by[0] if table.order_by else None

    def get_context_data(self, **kwargs):
        kind = self.kwargs["kind"]
        row_filter = self.rows()
        table_class = row_table_class(kind)
        alias = self.sort_alias(table_class)
        keys, windowed = keyset_keys(kind, alias)
        newest = row_filter.qs.order_by(f"-{date_field(kind)}", "row_number", "id")
        queryset = newest
        if windowed:  # the newest SORT_WINDOW rows: those up to the window's last one, in the page's index
            day = date_field(kind)
            edge = list(newest.values_list(day, "row_number", "id")[SORT_WINDOW - 1 : SORT_WINDOW])
            if edge:
                last_day, row_number, pk = edge[0]
                queryset = newest.filter(
                    Q(**{f"{day}__gt": last_day})
                    | Q(**{day: last_day, "row_number__lt": row_number})
                    | Q(**{day: last_day, "row_number": row_number, "id__lte": pk}),
                    **{f"{day}__gte": last_day},
                )
        page = SafeRequestConfig(self.request).keyset_page(queryset, keys, per_page=50)
        table = table_class(page.object_list, attrs={"class": "table table-sm table-hover mb-0 text-nowrap"})
        table.order_by = alias
        table.keyset_page = page
        counted = newest.order_by()[: COUNT_CAP + 1].count()
        kwargs.pop("kind", None)
        context = super().get_context_data(
            kind=kind,
            kind_label=LedgerFile.Kind(kind).label,
            kinds=LedgerFile.Kind.choices,
            filter=row_filter,
            table=table,
            page=page,
            row_count=min(counted, COUNT_CAP),
            more_rows=counted > COUNT_CAP,
            sort_window=SORT_WINDOW if windowed and counted > SORT_WINDOW else None,
            **kwargs,
        )
        if kind == "stock" and "month" in self.request.GET:  # the month form, sent without JavaScript
            context.update(self.stock_month(row_filter))
        elif kind == "stock":  # the month's chart and checks read a month of rows: loaded after the page
            query = {"panel": "month", "warehouse": self.request.GET.get("warehouse", "")}
            context["month_panel_url"] = "?" + urlencode({k: v for k, v in query.items() if v})
        return context

    def stock_month(self, row_filter) -> dict:
        """The month's chart of stored volume and units, and the consistency findings."""
        month = self.request.GET.get("month") or ""
        latest = (
            scope(KINDS["stock"].model.objects.filter(is_current=True), self.seller)
            .order_by("-business_date")
            .values_list("business_date", flat=True)
            .first()
        )
        try:  # strictly YYYY-MM: "0000-00", "9999-99" or a 30-digit year show the latest month
            year, number = re.fullmatch(r"(\d{4})-(\d{2})", month).groups()
            first = date(int(year), int(number), 1)
        except (AttributeError, ValueError):
            if latest is None:
                return {}
            first = latest.replace(day=1)
        last = first.replace(day=monthrange(first.year, first.month)[1])
        warehouse = row_filter.form.cleaned_data.get("warehouse") if row_filter.is_valid() else None
        warehouse_ids = [warehouse.pk] if warehouse else []
        source = chart_source(self.seller, warehouse_ids, first, last)
        totals = daily_totals(self.seller, warehouse_ids, first, last, source)
        findings, finding_count = stock_findings(self.seller, warehouse_ids, first, last, source)
        chart = {
            "labels": [t["business_date"].isoformat() for t in totals],
            "volume": [str(t["volume"]) for t in totals],
            "units": [t["units"] for t in totals],
        }
        return {
            "month": first.strftime("%Y-%m"),
            "chart_json": json.dumps(chart),
            "has_chart": bool(totals),
            "findings": findings,
            "finding_count": finding_count,
            "chart_source": LedgerFile.Source(source).label,
        }


def export_rows(queryset, kind: str, file_format: str) -> HttpResponse:
    """A small export (``EXPORT_INLINE_MAX_ROWS`` at most, larger ones run on a worker) as CSV or XLSX,
    formula-like text cells escaped."""
    buffer = io.BytesIO()
    write_rows(ledger_rows_of(queryset, kind), buffer, file_format)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{export_name(f"ledger:{kind}", file_format)}"'
    return response
