"""Natural keys of the rows in force (SPEC §6 "Natural keys"): one stock row per warehouse, service line,
seller, item and day; one outbound or tax row per warehouse and ``order_no``; one VAS, inbound or receiving
row per warehouse and ``reference`` where one is given; each among the rows in force of one source.

The database holds them as partial unique indexes over the rows in force (``UniqueConstraint``s with a
condition on the row models, named ``LedgerKind.key_constraint_name``), on PostgreSQL and SQLite alike. A
unique index costs next to nothing while ``COPY`` streams rows in (an exclusion constraint, deferrable, cost
as much again as the whole load); the importer therefore retires the rows an upload replaces before it
streams them in again when a key was held (``imports._check_and_store``).

The queries here turn a clash into row errors that name the row, the column and the upload that holds the key.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery

from inventory.ledgers.errors import RowError
from inventory.ledgers.kinds import KINDS, LedgerKind
from inventory.models import LedgerFile


def scope(kind: LedgerKind, spans: dict[tuple[int, int | None], list]) -> Q:
    """The rows an upload replaces: per (seller, service line) it holds, the same seller's rows of that line
    (or of none: rows stored before rows had a line) dated from its first to its last day there."""
    q = Q(pk__in=[])
    for (seller_id, line_id), (first, last) in spans.items():
        q |= Q(seller_id=seller_id, **{f"{kind.date_field}__range": (first, last)}) & (
            Q(service_line_id=line_id) | Q(service_line__isnull=True)
        )
    return q


def _given(kind: LedgerKind) -> Q:
    given = kind.natural_key.when_given
    return ~Q(**{given: ""}) if given else Q()


def _holders(kind: LedgerKind, ledger_file: LedgerFile):
    """Rows in force of other uploads (same warehouse and source) holding the key of the outer row."""
    return (
        kind.model.objects.filter(
            warehouse_id=ledger_file.warehouse_id,
            source=ledger_file.source,
            is_current=True,
            **{name: OuterRef(name) for name in kind.natural_key.fields},
        )
        .filter(_given(kind))
        .exclude(ledger_file_id=ledger_file.pk)
    )


def describe_key(kind: LedgerKind, values: dict) -> str:
    if kind.key == "stock":
        return f'item "{values["item_id"]}" on {values["business_date"]}'
    return ", ".join(f'{name} "{values[name]}"' for name in kind.natural_key.fields)


def describe_upload(ledger_file_id: int) -> str:
    other = LedgerFile.objects.filter(pk=ledger_file_id).only("original_name", "uploaded_at").first()
    if other is None:
        return f"upload #{ledger_file_id}"
    return f"upload #{other.pk} ({other.original_name}, {other.uploaded_at:%Y-%m-%d})"


def held_elsewhere(
    kind: LedgerKind, ledger_file: LedgerFile, spans: dict, limit: int
) -> tuple[list[RowError], int]:
    """Rows of the upload whose key is in force from an upload it does not replace (errors, how many)."""
    if kind.key_within_replaced_scope:
        return [], 0
    fields = kind.natural_key.fields
    model = kind.model
    others = _holders(kind, ledger_file).exclude(scope(kind, spans))
    hits = (
        model.objects.filter(ledger_file_id=ledger_file.pk)
        .filter(_given(kind))
        .annotate(holder=Subquery(others.order_by("ledger_file_id").values("ledger_file_id")[:1]))
        .filter(holder__isnull=False)
    )
    total = hits.count()
    errors = []
    names: dict[int, str] = {}
    for row in hits.order_by("row_number").values("row_number", "holder", *fields)[:limit]:
        holder = names.setdefault(row["holder"], describe_upload(row["holder"]))
        errors.append(
            RowError(
                row["row_number"],
                kind.natural_key.column,
                f"{describe_key(kind, row)} is already in force from {holder}, which this upload does not "
                "replace (it replaces the same seller's rows of its own days only); withdraw that upload "
                "first or correct the row",
            )
        )
    return errors, total


def in_file_duplicates(kind: LedgerKind, ledger_file: LedgerFile, limit: int) -> tuple[list[RowError], int]:
    """Rows of the upload repeating the key of an earlier row of the same file (errors, how many)."""
    fields = kind.natural_key.fields
    rows = kind.model.objects.filter(ledger_file_id=ledger_file.pk).filter(_given(kind))
    groups = (
        rows.values(*fields)
        .annotate(n=Count("pk"), first=Min("row_number"))
        .filter(n__gt=1)
        .order_by("first")
    )
    total = 0
    errors: list[RowError] = []
    for group in groups:
        total += group["n"] - 1
        if len(errors) >= limit:
            continue
        same = rows.filter(**{name: group[name] for name in fields}).exclude(row_number=group["first"])
        numbers = same.order_by("row_number").values_list("row_number", flat=True)
        for row_number in numbers[: limit - len(errors)]:
            errors.append(
                RowError(
                    row_number,
                    kind.natural_key.column,
                    f"{describe_key(kind, group)} is also on row {group['first']} of this file: one row per "
                    + _key_words(kind),
                )
            )
    return errors, total


def _key_words(kind: LedgerKind) -> str:
    if kind.key == "stock":
        return "item, day, seller and service line"
    return " and ".join(kind.natural_key.fields)


def put_in_force(kind: LedgerKind, ledger_file: LedgerFile) -> bool:
    """Put the upload's rows, loaded out of force, in force (in a savepoint): False when a unique index
    refuses (a key repeated inside the file, or stored meanwhile), the transaction still usable."""
    try:
        with transaction.atomic():
            kind.model.objects.filter(ledger_file_id=ledger_file.pk).update(is_current=True)
    except IntegrityError:
        return False
    return True


def restore_clashes(kind: LedgerKind, ledger_file: LedgerFile, limit: int = 5) -> list[str]:
    """Keys of rows that withdrawing ``ledger_file`` would bring back while another upload holds them."""
    fields = kind.natural_key.fields
    model = kind.model
    others = _holders(kind, ledger_file)
    hits = (
        model.objects.filter(replaced_by_id=ledger_file.pk)
        .filter(_given(kind))
        .annotate(holder=Subquery(others.order_by("ledger_file_id").values("ledger_file_id")[:1]))
        .filter(holder__isnull=False)
        .order_by("ledger_file_id", "row_number")
        .values("ledger_file_id", "holder", *fields)[:limit]
    )
    return [
        f"{describe_key(kind, row)} of upload #{row['ledger_file_id']} is in force from "
        f"{describe_upload(row['holder'])}"
        for row in hits
    ]


__all__ = [
    "KINDS",
    "put_in_force",
    "held_elsewhere",
    "in_file_duplicates",
    "restore_clashes",
    "scope",
]
