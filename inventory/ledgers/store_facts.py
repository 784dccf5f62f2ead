"""A seller's month of engine facts from the stored ledger rows in force (issue 11, "Same cents from the store
and from the file").

``month_facts`` gives the same facts as ``simulate_invoice`` builds from the same files
(``inventory.ledgers.facts``), so the close and the simulation bill the same cents:

- stock: one ``StockItemMonth`` per item, summed by the database (one ``GROUP BY`` query; no Python loop over
  the month's rows). The volume is computed from what the warehouse reported (``total_volume_m3`` when
  given, else L × W × H × stock / (units per carton × 10⁹)), never from the stored ``daily_volume_m3``
  (cut to 9 decimals): Σ L × W × H × stock is summed exactly (``numeric``) per item and units per carton,
  and divided once in Python at 34 digits, as the file path does. The fact's ``ref`` is a ``RowSet``
  naming the item's month: ``rows_of_ref`` turns it back into the rows.
- the other kinds: one fact per row from one ``values_list`` query in primary-key order (file and row
  order), ``ref`` the row's primary key.

On PostgreSQL the six queries go in one pipeline, the parcels' first: the server sums the stock while
Python makes the parcels' facts (a month of 200k parcels costs about as much as summing a million stock
rows). The cycle collector is paused meanwhile (facts hold no cycles).

SQLite stores decimals as floating point, so its ``SUM`` is not exact: there the stock rows are read (Django
quantizes each value back to the column's decimal places, which is exact) and summed in Python by the same
code as a file's rows.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Hashable, Iterable
from contextlib import contextmanager
from itertools import groupby, starmap
from operator import itemgetter

from django.db import connections, transaction
from django.db.models import BigIntegerField, Count, DecimalField, F, Func, Q, QuerySet, Sum, Value
from django.db.models.aggregates import Aggregate

from inventory.ledgers.facts import StockMonthSums, fact_maker
from inventory.ledgers.kinds import KINDS
from inventory.models import LedgerFile
from tariffs.engine import LEDGERS, MonthFacts
from tariffs.rules import (
    Period,
    RowSet,
)


def rows_in_force(
    kind: str,
    *,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
) -> QuerySet:
    """The stored rows of ``kind`` in force for the seller, warehouse (service line) and month, from
    ``source`` ("warehouse" bills; "seller" is the seller's own copy, for disputes)."""
    model = KINDS[kind].model
    date_field = KINDS[kind].date_field
    rows = model.objects.filter(
        warehouse=warehouse,
        source=source,
        is_current=True,
        **{f"{date_field}__gte": period.first_day, f"{date_field}__lt": period.next_first_day},
    )
    if seller is not None:  # None: every seller's (``month_facts_of_sellers`` narrows it to its batch)
        rows = rows.filter(seller=seller)
    if service_line is not None:
        rows = rows.filter(service_line=service_line)
    return rows


def month_facts(
    *,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
) -> MonthFacts:
    """The engine's facts of one seller's month from the stored rows in force (kinds without rows are left
    out), equal to ``simulate_invoice``'s facts from the same files but for the per-row refs (primary keys
    here, row numbers there)."""
    scope = {
        "seller": seller,
        "warehouse": warehouse,
        "period": period,
        "service_line": service_line,
        "source": source,
    }
    queries = {kind: rows_in_force(kind, **scope) for kind in LEDGERS}
    with _no_cyclic_gc():
        if connections[queries["stock"].db].vendor == "postgresql":
            facts = _facts_in_one_pipeline(queries, period)
        else:
            facts = {
                kind: stock_facts(rows, period) if kind == "stock" else row_facts(kind, rows)
                for kind, rows in queries.items()
            }
    return MonthFacts(period=period, ledgers={kind: facts[kind] for kind in LEDGERS if facts[kind]})


def month_facts_of_sellers(
    *,
    seller_ids: Iterable[int],
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
    stock_groups: dict[int, list[tuple]] | None = None,
) -> dict[int, MonthFacts]:
    """``month_facts`` of many sellers at once ({seller id: facts}, every seller given): the same facts, from
    six queries for all of them instead of six each. The close prices a batch of sellers through here.
    ``stock_groups``: the line's stock rows already summed ({seller id: groups}, as
    ``read_stock_month_of_sellers`` gives them), so that the stock is not read again (PostgreSQL only)."""
    seller_ids = sorted(set(seller_ids))
    if not seller_ids:
        return {}
    scope = {"warehouse": warehouse, "period": period, "service_line": service_line, "source": source}
    queries = {kind: rows_in_force(kind, seller=None, **scope) for kind in LEDGERS}
    if connections[queries["stock"].db].vendor != "postgresql":
        return {seller_id: month_facts(seller=seller_id, **scope) for seller_id in seller_ids}
    queries = {kind: rows.filter(seller_id__in=seller_ids) for kind, rows in queries.items()}
    if stock_groups is not None:
        del queries["stock"]
    with _no_cyclic_gc():
        by_seller = _facts_of_sellers_in_one_pipeline(queries, period)
        for seller_id, groups in (stock_groups or {}).items():
            sums = StockMonthSums(period)
            sums.add_groups(groups)
            by_seller.setdefault(seller_id, {})["stock"] = sums.facts()
    result = {}
    for seller_id in seller_ids:
        facts = by_seller.get(seller_id, {})
        result[seller_id] = MonthFacts(
            period=period, ledgers={kind: facts[kind] for kind in LEDGERS if facts.get(kind)}
        )
    return result


@dataclasses.dataclass
class StockMonthRead:
    """A batch of sellers' warehouse stock rows of a month, read in one scan
    (``read_stock_month_of_sellers``):

    - ``groups``: {(seller, warehouse, service line): the rows summed per item and units per carton (and
      upload), in the shape ``StockMonthSums.add_groups`` reads};
    - ``inputs``: {seller: {("stock", warehouse, service line, upload): rows}}, as ``month_inputs`` counts
      them;
    - ``drops``: {(seller, warehouse): (drops, how many)}, each drop ``(item, day, stock before, stock,
      sold, units unaccounted for)``, every one of them, ordered by item, day and row
      (``checks.unexplained_drops``' order where items sort the same in the database's collation).
    """

    groups: dict[tuple[int, int, int | None], list[tuple]]
    inputs: dict[int, dict[tuple, int]]
    drops: dict[tuple[int, int], tuple[list[tuple], int]]


# One scan of a batch's stock month for the close: the window that compares each row with the day before
# (the drops) and the sums per item, upload and line (the facts and the inputs' counts) over the same rows.
_STOCK_MONTH_SQL = """
    SELECT seller_id, warehouse_id, service_line_id, ledger_file_id, item_id, units_per_carton,
           count(*), sum(stock_qty), sum(sales_qty), bit_or(1::bigint << (business_date - %(first)s + 1)),
           sum(total_volume_m3),
           sum(length_mm * width_mm * height_mm * stock_qty) FILTER (WHERE total_volume_m3 IS NULL),
           array_agg(business_date) FILTER (WHERE dropped), array_agg(before) FILTER (WHERE dropped),
           array_agg(stock_qty) FILTER (WHERE dropped), array_agg(sales_qty) FILTER (WHERE dropped),
           array_agg(id) FILTER (WHERE dropped)
    FROM (
        SELECT r.seller_id, r.warehouse_id, r.service_line_id, r.ledger_file_id, r.item_id,
               r.units_per_carton, r.business_date, r.stock_qty, r.sales_qty, r.total_volume_m3,
               r.length_mm, r.width_mm, r.height_mm, r.id, lag(r.stock_qty) OVER w AS before,
               coalesce(
                   r.business_date - lag(r.business_date) OVER w = 1
                   AND r.stock_qty - lag(r.stock_qty) OVER w + r.sales_qty < 0,
                   false
               ) AS dropped
        FROM {table} AS r
        WHERE r.seller_id = ANY(%(sellers)s) AND r.source = 'warehouse' AND r.is_current
          AND r.business_date >= %(first)s AND r.business_date < %(next)s
        WINDOW w AS (
            PARTITION BY r.seller_id, r.warehouse_id, r.item_id COLLATE "C" ORDER BY r.business_date, r.id
        )
    ) AS t
    GROUP BY seller_id, warehouse_id, service_line_id, ledger_file_id, item_id, units_per_carton"""


def read_stock_month_of_sellers(seller_ids: Iterable[int], period: Period) -> StockMonthRead:
    """PostgreSQL: the sellers' warehouse stock rows in force in the month, read once (``StockMonthRead``)."""
    from inventory.models import StockLedgerRow

    groups: dict[tuple[int, int, int | None], list[tuple]] = {}
    inputs: dict[int, dict[tuple, int]] = {}
    found: dict[tuple[int, int], list[tuple]] = {}
    db = StockLedgerRow.objects.db
    connection = connections[db]
    sql = _STOCK_MONTH_SQL.format(table=connection.ops.quote_name(StockLedgerRow._meta.db_table))
    params = {"sellers": sorted(set(seller_ids)), "first": period.first_day, "next": period.next_first_day}
    with transaction.atomic(using=db), connection.cursor() as cursor:
        work_mem, jit = _settings_for_the_aggregate(cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute(RESTORE_SETTINGS, [work_mem, jit])
    for row in rows:
        seller_id, warehouse_id, line_id, file_id, item_id, units_per_carton, count = row[:7]
        groups.setdefault((seller_id, warehouse_id, line_id), []).append(
            (item_id, units_per_carton, *row[6:12])
        )
        key = ("stock", warehouse_id, line_id, file_id)
        seller_inputs = inputs.setdefault(seller_id, {})
        seller_inputs[key] = seller_inputs.get(key, 0) + count
        if row[12]:
            drops = found.setdefault((seller_id, warehouse_id), [])
            for day, before, stock, sales, row_id in zip(*row[12:17], strict=True):
                drops.append((item_id, day, row_id, before, stock, sales))
    return StockMonthRead(
        groups=groups,
        inputs=inputs,
        drops={
            key: (
                [
                    (item, day, before, stock, sales, before - stock - sales)
                    for item, day, _row_id, before, stock, sales in sorted(drops)
                ],
                len(drops),
            )
            for key, drops in found.items()
        },
    )


def _facts_of_sellers_in_one_pipeline(
    queries: dict[str, QuerySet], period: Period
) -> dict[int, dict[str, list]]:
    """``_facts_in_one_pipeline`` for many sellers: each query's rows lead with the seller's id (the per-row
    kinds in seller and primary-key order), split here into {seller id: {kind: facts}}."""
    import psycopg

    db = next(iter(queries.values())).db
    connection = connections[db]
    statements = [
        (
            kind,
            *_row_query(
                kind, rows, leading=("seller_id",), order=("seller_id", "pk")
            ).query.sql_with_params(),
        )
        for kind, rows in queries.items()
        if kind != "stock"
    ]
    if "stock" in queries:  # else summed by the caller's own read (``read_stock_month_of_sellers``)
        statements.append(
            ("stock", *_stock_query(queries["stock"], period, leading=("seller_id",)).query.sql_with_params())
        )
    by_seller: dict[int, dict[str, list]] = {}
    with transaction.atomic(using=db):
        with connection.cursor() as cursor:
            work_mem, jit = _settings_for_the_aggregate(cursor)
        raw = connection.connection
        with raw.pipeline():
            cursors = {}
            for kind, sql, params in statements:
                cursors[kind] = cursor = psycopg.Cursor(raw)
                cursor.execute(sql, params)
            with psycopg.Cursor(raw) as cursor:
                cursor.execute(RESTORE_SETTINGS, [work_mem, jit])
            for kind, _sql, _params in statements:
                if kind == "stock":
                    continue
                make = fact_maker(KINDS[kind].fact_type)
                for seller_id, rows in groupby(cursors[kind].fetchall(), key=itemgetter(0)):
                    by_seller.setdefault(seller_id, {})[kind] = [make(*row[1:]) for row in rows]
            groups: dict[int, list] = {}
            for row in cursors["stock"].fetchall() if "stock" in cursors else ():
                groups.setdefault(row[0], []).append(row[1:])
            for cursor in cursors.values():
                cursor.close()
    for seller_id, seller_groups in groups.items():
        sums = StockMonthSums(period)
        sums.add_groups(seller_groups)
        by_seller.setdefault(seller_id, {})["stock"] = sums.facts()
    return by_seller


def _facts_in_one_pipeline(queries: dict[str, QuerySet], period: Period) -> dict[str, list]:
    """PostgreSQL: the six queries sent at once (psycopg's pipeline mode), the parcels' first, so that the
    server sums the month's stock while Python makes the parcels' facts."""
    import psycopg

    db = queries["stock"].db
    connection = connections[db]
    statements = [
        (kind, *_row_query(kind, rows).query.sql_with_params())
        for kind, rows in queries.items()
        if kind != "stock"
    ]
    statements.append(("stock", *_stock_query(queries["stock"], period).query.sql_with_params()))
    with transaction.atomic(using=db):
        with connection.cursor() as cursor:
            work_mem, jit = _settings_for_the_aggregate(cursor)
        raw = connection.connection
        with raw.pipeline():
            cursors = {}
            for kind, sql, params in statements:
                cursors[kind] = cursor = psycopg.Cursor(raw)
                cursor.execute(sql, params)
            with psycopg.Cursor(raw) as cursor:
                cursor.execute(RESTORE_SETTINGS, [work_mem, jit])
            facts = {
                kind: list(starmap(fact_maker(KINDS[kind].fact_type), cursors[kind].fetchall()))
                for kind, _sql, _params in statements[:-1]
            }
            groups = cursors["stock"].fetchall()
            for cursor in cursors.values():
                cursor.close()
    sums = StockMonthSums(period)
    sums.add_groups(groups)
    facts["stock"] = sums.facts()
    return facts


@contextmanager
def _no_cyclic_gc():
    """Pause Python's cycle collector while hundreds of thousands of facts are made: each of its passes walks
    every object made so far (a fifth of the time at 200k parcels), and facts hold no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _row_query(kind: str, rows: QuerySet, *, leading: tuple[str, ...] = (), order=("pk",)) -> QuerySet:
    """The per-row kind's fact fields and primary key, as tuples in primary-key order (``leading`` columns
    first, e.g. the seller's id of a batch, and then ``order``)."""
    columns = KINDS[kind].fact_columns
    fields = [column if isinstance(column, str) else f"_c{i}" for i, column in enumerate(columns)]
    expressions = {f"_c{i}": column for i, column in enumerate(columns) if not isinstance(column, str)}
    query = rows.order_by(*order)
    if expressions:
        query = query.annotate(**expressions)
    return query.values_list(*leading, *fields, "pk")


def row_facts(kind: str, rows: QuerySet) -> list:
    """One fact per row, in primary-key order, ``ref`` the primary key: one query, each tuple unpacked into
    the fact's fields."""
    query = _row_query(kind, rows)
    make = fact_maker(KINDS[kind].fact_type)
    connection = connections[rows.db]
    if connection.vendor != "postgresql":  # SQLite: Django turns its floats and texts into decimals and dates
        return list(starmap(make, query))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:  # psycopg's values are the fields' own: no converter to run
        cursor.execute(sql, params)
        return list(starmap(make, cursor.fetchall()))


class _BitOr(Aggregate):
    function = "BIT_OR"
    name = "BitOr"
    output_field = BigIntegerField()


class _DayBit(Func):
    """``1 << day of the month`` (bit d for day d) from ``business_date − (first day − 1)``, a bigint."""

    template = "(1::bigint << (%(expressions)s + 1))"
    arg_joiner = " - "
    output_field = BigIntegerField()


def stock_facts(rows: QuerySet, period: Period) -> list:
    """One ``StockItemMonth`` per item of the rows (all in ``period``); see the module's docstring."""
    sums = StockMonthSums(period)
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        add = sums.add_row
        for values in rows.order_by().values_list(
            "item_id",
            "business_date",
            "units_per_carton",
            "length_mm",
            "width_mm",
            "height_mm",
            "stock_qty",
            "sales_qty",
            "total_volume_m3",
        ):
            add(*values)
        return sums.facts()
    # The driver's values as they come (ints, exact Decimals): Django's per-value converters cost more than
    # summing the groups.
    sql, params = _stock_query(rows, period).query.sql_with_params()
    with transaction.atomic(using=rows.db), connection.cursor() as cursor:
        work_mem, jit = _settings_for_the_aggregate(cursor)
        cursor.execute(sql, params)
        groups = cursor.fetchall()
        cursor.execute(RESTORE_SETTINGS, [work_mem, jit])
    sums.add_groups(groups)
    return sums.facts()


def _stock_query(rows: QuerySet, period: Period, *, leading: tuple[str, ...] = ()) -> QuerySet:
    """PostgreSQL: the month's stock rows summed per item and units per carton, in the shape
    ``StockMonthSums.add_groups`` reads (after the ``leading`` columns, e.g. the seller's id of a batch)."""
    return (
        rows.order_by()
        .values(*leading, "item_id", "units_per_carton")
        .annotate(
            _rows=Count("*"),
            _stock=Sum("stock_qty"),
            _sales=Sum("sales_qty"),
            _days=_BitOr(_DayBit("business_date", Value(period.first_day))),
            _reported=Sum("total_volume_m3"),
            _mm3=Sum(
                F("length_mm") * F("width_mm") * F("height_mm") * F("stock_qty"),
                filter=Q(total_volume_m3__isnull=True),
                output_field=DecimalField(),
            ),
        )
        .values_list(
            *leading, "item_id", "units_per_carton", "_rows", "_stock", "_sales", "_days", "_reported", "_mm3"
        )
    )


# For the month's aggregate only: enough memory to hash a large seller's items (PostgreSQL's default 4 MB
# sorts a million rows on disk instead), and no JIT compilation, which costs more than it saves here.
AGGREGATE_WORK_MEM_KB = 64 * 1024


RESTORE_SETTINGS = "SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)"


def _settings_for_the_aggregate(cursor) -> tuple[str, str]:
    """Raise ``work_mem`` (never lower it) and turn JIT off until ``RESTORE_SETTINGS`` runs with the values
    returned. They are the transaction's settings: run it in ``transaction.atomic``, whose rollback on an
    error puts them back too."""
    cursor.execute(
        "SELECT current_setting('work_mem'), current_setting('jit'), "
        "pg_size_bytes(current_setting('work_mem'))"
    )
    work_mem, jit, work_mem_bytes = cursor.fetchone()
    raised = f"{AGGREGATE_WORK_MEM_KB}kB" if work_mem_bytes < AGGREGATE_WORK_MEM_KB * 1024 else work_mem
    cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [raised])
    return work_mem, jit


def rows_of_ref(
    ref: Hashable,
    *,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
    kind: str | None = None,
) -> QuerySet:
    """The stored rows a charge line's source ref stands for: an item's month of stock rows for a
    ``RowSet``, the row of that primary key for the per-row kinds (``kind`` says which ledger: the line's
    rule kind knows it). Give the scope ``month_facts`` was given."""
    return rows_of_refs(
        [ref],
        seller=seller,
        warehouse=warehouse,
        period=period,
        service_line=service_line,
        source=source,
        kind=ref.kind if kind is None and isinstance(ref, RowSet) else kind,
    )


def rows_of_refs(
    refs: Iterable[Hashable],
    *,
    kind: str | None,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
) -> QuerySet:
    """The stored rows of all of a line's source refs (one query; see ``rows_of_ref``)."""
    if kind is None:
        raise ValueError("a row reference (a primary key) needs its ledger kind")
    pks, items, whole_month = [], set(), False
    for ref in refs:
        if isinstance(ref, RowSet):
            if ref.kind != kind or ref.period != period:
                raise ValueError(f"{ref} is not a set of {kind} rows of {period}")
            if ref.item_id is None:
                whole_month = True
            else:
                items.add(ref.item_id)
        elif isinstance(ref, int) and not isinstance(ref, bool):
            pks.append(ref)
        else:
            raise ValueError(f"not a reference to stored {kind} rows: {ref!r}")
    rows = rows_in_force(
        kind, seller=seller, warehouse=warehouse, period=period, service_line=service_line, source=source
    )
    if whole_month:
        return rows
    return rows.filter(Q(pk__in=pks) | Q(item_id__in=sorted(items)) if items else Q(pk__in=pks))
