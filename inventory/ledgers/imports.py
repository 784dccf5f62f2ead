"""Ledger uploads (SPEC §6, issues 6 and 11): the same file is stored once (a refused one may be tried
again); a file is stored all or nothing; a newer upload supersedes the rows of the same seller, warehouse,
service line, kind, source and days, and records what it replaced; the natural keys hold among the rows in
force (``keys``); ops withdraw a wrong upload; a closed (invoiced) month takes no warehouse-source change.

The file is streamed through ``inventory.ledgers`` (flat memory); each row's warehouse, seller and service
line are resolved, and its errors collected. On PostgreSQL the good rows stream into ``COPY`` inside a
transaction that is rolled back if any row is bad (the server loads while Python parses); on SQLite they
are spooled to a temporary file and loaded by ``bulk_create`` after the check. Progress goes to the
``LedgerFile`` row as it runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import operator
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from celery import shared_task
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.ledgers import InboundRow, LedgerFileError, RowError, keys, open_ledger
from inventory.ledgers.kinds import LedgerKind, get_kind
from inventory.ledgers.schemas import VasRow
from inventory.models import ClosedPeriod, LedgerFile, LedgerReplacement
from inventory.signals import warehouse_rows_changed
from inventory.upload_policy import QuotaExceeded, check_upload_quota
from portal.models import Seller, SellerAlias, ServiceLine, Warehouse
from portal.uploads import UploadLimits, bytes_text, upload_limits
from tariffs.models import Contract
from tariffs.selectors import priced_service_codes

MAX_ATTEMPTS = 3
PROGRESS_EVERY = 25_000
SHOWN_ERRORS = 200
# PostgreSQL advisory lock (class, warehouse id) that orders a warehouse's ledger changes and the closing of
# its months: uploads and withdrawals hold it shared while they check closed months and write; a close holds
# it exclusive, so it waits for the ones in flight and the next ones see it.
LEDGER_LOCK_CLASS = 0x1ED6E


class UploadRefused(Exception):
    """A file refused before anything is queued (too large, empty)."""


@dataclass(frozen=True)
class UploadResult:
    ledger_file: LedgerFile
    created: bool  # False: the same content was uploaded before and is not stored again


class WithdrawalRefused(Exception):
    """An upload that cannot be withdrawn (not stored, or rows in a closed month); the message says why."""


@dataclass(frozen=True)
class Withdrawal:
    ledger_file: LedgerFile
    rows_withdrawn: int  # its rows that were in force
    rows_restored: int  # rows of older uploads back in force


def ledger_limits(source: str) -> UploadLimits:
    """The caps of a ledger upload: the warehouse's monthly file may be large, a seller's less so."""
    return upload_limits("warehouse_ledger" if source == LedgerFile.Source.WAREHOUSE else "seller_ledger")


def dedupe_key(*, seller: Seller | None, warehouse: Warehouse, kind: str, source: str, sha256: str) -> str:
    return f"{seller.pk if seller else '*'}:{warehouse.pk}:{kind}:{source}:{sha256}"


def create_upload(
    *,
    uploaded,
    name: str,
    seller: Seller | None,
    warehouse: Warehouse,
    kind: str,
    source: str,
    user,
    max_bytes: int | None = None,
    enqueue: bool = True,
) -> UploadResult:
    """Keep the uploaded file and queue its import (after commit); the same content twice is stored once.

    Refused first (issue 10): a file over the size cap of its source (``LEDGER_MAX_BYTES`` for the
    warehouse's, ``SELLER_LEDGER_MAX_BYTES`` for a seller's, or ``max_bytes`` if smaller), and a
    seller-source file that would take the seller over its upload quota."""
    size = getattr(uploaded, "size", None)
    if size is None:
        uploaded.seek(0, os.SEEK_END)
        size = uploaded.tell()
    limit = ledger_limits(source).max_file_bytes
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    if size > limit:
        raise UploadRefused(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": bytes_text(size), "limit": bytes_text(limit)}
        )
    if size == 0:
        raise UploadRefused(_("The file is empty."))
    if source == LedgerFile.Source.SELLER and seller is not None:
        try:
            check_upload_quota(seller, size)
        except QuotaExceeded as exc:
            raise UploadRefused(str(exc)) from None
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in iter(lambda: uploaded.read(1 << 20), b""):
        digest.update(chunk)
    sha256 = digest.hexdigest()
    key = dedupe_key(seller=seller, warehouse=warehouse, kind=kind, source=source, sha256=sha256)
    existing = _holder_of(key)
    if existing is not None:
        return UploadResult(existing, created=False)
    with transaction.atomic():
        ledger_file = LedgerFile(
            seller=seller,
            warehouse=warehouse,
            kind=kind,
            source=source,
            original_name=name,
            size=size,
            sha256=sha256,
            dedupe_key=key,
            uploaded_by=user,
        )
        # The row first, the file after: an identical upload racing this one waits on the unique key
        # and, once this one commits, is told it is a duplicate without writing a file of its own.
        try:
            with transaction.atomic():
                ledger_file.save()
        except IntegrityError:
            existing = _holder_of(key)
            if existing is None:  # refused in the meantime, which frees the content: try once more
                ledger_file.pk = None
                ledger_file.save()
            else:
                return UploadResult(existing, created=False)
        uploaded.seek(0)
        ledger_file.file.save(os.path.basename(name) or "ledger", File(uploaded), save=False)
        ledger_file.save(update_fields=["file"])
        if enqueue:
            transaction.on_commit(lambda: import_ledger_file_task.delay(ledger_file.pk))
    return UploadResult(ledger_file, created=True)


def _holder_of(key: str) -> LedgerFile | None:
    """The upload that holds this content: stored, or on its way. A refused or withdrawn one holds nothing,
    so the same file can be uploaded again once what it named is fixed (SPEC §6)."""
    return LedgerFile.objects.filter(dedupe_key=key).exclude(status__in=LedgerFile.RELEASED).first()


class Resolver:
    """Warehouse, seller and service line of a row, checked against the upload (SPEC §6 "Seller of a row",
    "Service line of a row").

    The warehouse by its code or name; the seller by its code or by an alias ops registered for this
    warehouse, both case-insensitive. A display name never matches (names are not unique), a seller not
    yet approved matches no row, and a value that is both a code and another seller's alias (data from
    before the shared namespace) matches nobody: a row lands on its own seller or is refused.

    The service line by the row's ``service_line`` code (an inbound row's ``line`` when it is one of the
    warehouse's lines), else the seller's one contracted line at the warehouse, else the warehouse's only
    line; a seller with contracts on several lines must name one.
    """

    def __init__(self, ledger_file: LedgerFile):
        self.ledger_file = ledger_file
        wh = ledger_file.warehouse
        self.warehouse_names = {wh.code.lower(), wh.name.lower()}
        self.seller_code = ledger_file.seller.code if ledger_file.seller_id else None
        self.good: dict[tuple, tuple[int, int]] = {}
        self.codes: dict[str, tuple[int, str]] = {
            code.lower(): (pk, status)
            for pk, code, status in Seller.objects.values_list("pk", "code", "status")
        }
        self.code_of = {pk: code for code, (pk, _status) in self.codes.items()}
        # VAS service codes: the ones a rate card of the warehouse's service lines prices (issue 11).
        own_seller = ledger_file.seller if ledger_file.source == LedgerFile.Source.SELLER else None
        self.service_codes = (
            priced_service_codes(wh, seller=own_seller) if ledger_file.kind == "vas" else set()
        )
        self.aliases: dict[str, tuple[int, str]] = {
            alias.lower(): (pk, status)
            for alias, pk, status in SellerAlias.objects.filter(warehouse=wh).values_list(
                "alias", "seller_id", "seller__status"
            )
        }
        self.line_ids = {
            code.lower(): pk
            for pk, code in ServiceLine.objects.filter(warehouse=wh).values_list("pk", "code")
        }
        self.line_code = {pk: code for code, pk in self.line_ids.items()}
        self.contract_lines: dict[int, set[int]] = {}
        for seller_id, line_id in Contract.objects.filter(service_line__warehouse=wh).values_list(
            "seller_id", "service_line_id"
        ):
            self.contract_lines.setdefault(seller_id, set()).add(line_id)

    def check(self, row) -> tuple[int | None, int | None, list[RowError]]:
        """(seller id, service line id, errors) of a parsed row."""
        explicit = row.service_line
        if explicit is None and row.__class__ is InboundRow and row.line in self.line_ids:
            explicit = row.line  # SPEC §6: the inbound ledger's line is the service line
        key = (row.warehouse, row.seller, explicit)
        resolved = self.good.get(key)
        if resolved is None:  # a combination not yet seen on a good row (most rows of a file repeat one)
            seller_id, errors = self.resolve(row)
            line_id = None
            if seller_id is not None:
                line_id, reason = self.line_of(seller_id, explicit)
                if reason:
                    errors.append(RowError(row.row_number, "service_line", reason))
            if not errors:
                self.good[key] = (seller_id, line_id)
        else:
            (seller_id, line_id), errors = resolved, []
        if row.__class__ is VasRow and row.service_code not in self.service_codes:
            errors = [*errors, self.unknown_service_code(row)]
        return seller_id, line_id, errors

    def line_of(self, seller_id: int, explicit: str | None) -> tuple[int | None, str | None]:
        """The line of a row of ``seller_id`` naming ``explicit`` (or nothing), or why there is none."""
        warehouse = self.ledger_file.warehouse.code
        contracted = self.contract_lines.get(seller_id, set())
        seller = self.code_of.get(seller_id, "?")
        if explicit:
            line_id = self.line_ids.get(explicit)
            if line_id is None:
                return None, (
                    f'unknown service line "{explicit}": the service lines of warehouse {warehouse} are '
                    + (", ".join(sorted(self.line_ids)) or "none")
                )
            if contracted and line_id not in contracted:
                return None, (
                    f'seller {seller} has no contract on service line "{explicit}" at {warehouse} (its lines '
                    f"there: {self._codes(contracted)})"
                )
            return line_id, None
        if len(contracted) == 1:
            return next(iter(contracted)), None
        if contracted:
            return None, (
                f"the service_line column is required: seller {seller} has contracts on several "
                f"service lines at {warehouse} ({self._codes(contracted)})"
            )
        if len(self.line_ids) == 1:
            return next(iter(self.line_ids.values())), None
        return None, (
            f"the service_line column is required: seller {seller} has no contract at {warehouse}, whose "
            f"service lines are {', '.join(sorted(self.line_ids)) or 'none'}"
        )

    def _codes(self, line_ids) -> str:
        return ", ".join(sorted(self.line_code[pk] for pk in line_ids))

    def unknown_service_code(self, row) -> RowError:
        warehouse = self.ledger_file.warehouse.code
        if not self.service_codes:
            reason = (
                f'unknown service code "{row.service_code}": no rate card of warehouse {warehouse} prices VAS'
            )
        else:
            reason = (
                f'unknown service code "{row.service_code}": the rate cards of warehouse {warehouse} price '
                + ", ".join(sorted(self.service_codes))
            )
        return RowError(row.row_number, "service_code", reason)

    def resolve(self, row) -> tuple[int | None, list[RowError]]:
        errors = []
        if row.warehouse.lower() not in self.warehouse_names:
            errors.append(
                RowError(
                    row.row_number,
                    "warehouse",
                    f'unknown warehouse "{row.warehouse}" (this upload is for '
                    f"{self.ledger_file.warehouse.code})",
                )
            )
        seller_id, reason = self.seller_of(row.seller)
        if self.ledger_file.seller_id and seller_id != self.ledger_file.seller_id:
            # A seller's own upload: one answer for anything else, so it says nothing of other sellers.
            seller_id, reason = None, f'"{row.seller}" is not the seller of this upload ({self.seller_code})'
        if reason:
            errors.append(RowError(row.row_number, "seller", reason))
        return seller_id, errors

    def seller_of(self, value: str) -> tuple[int | None, str | None]:
        """The seller a ``seller`` value names at this warehouse, or the reason it names none."""
        key = value.lower()
        by_code, by_alias = self.codes.get(key), self.aliases.get(key)
        if by_code and by_alias and by_code[0] != by_alias[0]:
            return None, f'"{value}" is both a seller code and an alias of another seller; ask ops to fix it'
        match = by_code or by_alias
        if match is None:
            return None, (
                f'unknown seller "{value}": not a seller code nor an alias registered for warehouse '
                f"{self.ledger_file.warehouse.code}"
            )
        seller_id, status = match
        if status == Seller.Status.PENDING:
            return None, f'seller "{value}" is not active yet (pending approval)'
        return seller_id, None


def copy_text(value) -> str:
    """A value in PostgreSQL COPY text format (also read back by the SQLite loader)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if value.__class__ is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    return str(value)


def line_builder(kind: LedgerKind, row_type, prefix: str, *, in_force: bool = True):
    """A fast ``row -> COPY line`` for one kind: fields by index (C speed), ``str`` for the typed values,
    ``\\N`` only where a column may be empty, text escaped only when it needs it.

    ``prefix`` holds the upload's constant columns; seller, service line, row number and ``is_current``
    follow (``kinds.COMMON_COLUMNS``), then the kind's columns (``LedgerKind.stored_columns``).
    """
    fields = row_type._fields
    plain = [name for name in kind.stored_columns if name not in kind.computed]
    getter = operator.itemgetter(*(fields.index(name) for name in plain))
    compute = kind.calculator() if kind.calculator is not None else None
    text = [index for index, name in enumerate(plain) if name in kind.text_columns]
    blank_text = [index for index, name in enumerate(plain) if name in kind.blank_text_columns]
    nullable = [
        index
        for index, name in enumerate(plain)
        if name in kind.nullable_columns and name not in kind.blank_text_columns
    ]

    def build(row, seller_id: int, line_id: int) -> str:
        values = list(getter(row))
        for index in blank_text:
            if values[index] is None:
                values[index] = ""
        for index in nullable:
            if values[index] is None:
                values[index] = "\\N"
        for index in text:
            value = values[index]
            if value is not None and not (value.isprintable() and "\\" not in value):
                values[index] = copy_text(value)
        if compute is not None:
            values.extend(compute(row))
        return line(seller_id, line_id, row.row_number, *values)

    width = len(plain) + len(kind.computed)
    current = "t" if in_force else "f"
    line = (
        prefix.replace("{", "{{").replace("}", "}}") + "\t{}\t{}\t{}\t" + current + "\t{}" * width + "\n"
    ).format
    return build


def import_ledger_file(ledger_file_id: int, *, now=None) -> LedgerFile:
    """Check every row, then store all of them or none (SPEC §6). Running it again does nothing more."""
    with transaction.atomic():
        ledger_file = LedgerFile.objects.select_for_update().get(pk=ledger_file_id)
        if ledger_file.status in (
            LedgerFile.Status.STORED,
            LedgerFile.Status.FAILED,
            LedgerFile.Status.WITHDRAWN,
        ):
            return ledger_file
        ledger_file.attempts += 1
        if ledger_file.attempts > MAX_ATTEMPTS:
            return _fail(
                ledger_file, f"Gave up after {MAX_ATTEMPTS} attempts; upload the file again.", now=now
            )
        ledger_file.status = LedgerFile.Status.CHECKING
        ledger_file.save(update_fields=["attempts", "status"])
    return _check_and_store(ledger_file, now=now)


@dataclass
class Scan:
    """What pass 1 found: row counts, errors (shown and as CSV), and the first and last day of each (seller,
    service line) the upload holds."""

    rows: int = 0
    error_count: int = 0
    bad_rows: int = 0
    shown: list = field(default_factory=list)
    errors_csv: io.StringIO = field(default_factory=io.StringIO)
    periods: dict = field(default_factory=dict)  # (seller id, service line id) -> [first day, last day]
    file_error: LedgerFileError | None = None

    def add_errors(self, errors: list[RowError], total: int | None = None) -> None:
        """Errors found after the rows were read (a closed month in a span, a key held elsewhere); ``total``
        counts the ones not listed too."""
        writer = csv.writer(self.errors_csv)
        for error in errors:
            writer.writerow([error.row, error.column, error.reason])
            if len(self.shown) < SHOWN_ERRORS:
                self.shown.append({"row": error.row, "column": error.column, "reason": error.reason})
        self.error_count += len(errors) if total is None else max(total, len(errors))


# --- closed periods (SPEC §6): the store's side of an issued invoice --------------------------------------


def lock_ledgers(warehouse_id: int, *, exclusive: bool) -> None:
    """Take the warehouse's ledger lock until the transaction ends (PostgreSQL; SQLite runs one writer at a
    time). Call it inside ``transaction.atomic``, before reading ``ClosedPeriod``."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("lock_ledgers() outside a transaction would be released at once")
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [LEDGER_LOCK_CLASS, warehouse_id])


def closed_months(ledger_file: LedgerFile) -> dict[int, dict[tuple[int | None, date], ClosedPeriod]]:
    """seller id -> {(service line id or None for every line, first day of a closed month): its ClosedPeriod}
    at the upload's warehouse; empty for a seller-source upload (those stay open for disputes)."""
    if ledger_file.source != LedgerFile.Source.WAREHOUSE:
        return {}
    closed: dict[int, dict[tuple[int | None, date], ClosedPeriod]] = {}
    periods = ClosedPeriod.objects.filter(warehouse_id=ledger_file.warehouse_id)
    if ledger_file.seller_id:
        periods = periods.filter(seller_id=ledger_file.seller_id)
    for period in periods.select_related("seller", "warehouse", "service_line").order_by("month", "pk"):
        closed.setdefault(period.seller_id, {}).setdefault((period.service_line_id, period.month), period)
    return closed


def closed_reason(period: ClosedPeriod) -> str:
    reference = f" ({period.reference})" if period.reference else ""
    line = f", service line {period.service_line.code}" if period.service_line_id else ""
    return (
        f"{period.month:%Y-%m} is closed for seller {period.seller.code} at {period.warehouse.code}{line}: "
        f"its invoice{reference} is issued; corrections are credit notes or a supplementary invoice"
    )


def _closed_in_range(ledger_file: LedgerFile, kind: LedgerKind, scan: Scan) -> list[RowError]:
    """A closed month between the first and last day of a (seller, line) in the upload: storing it would add
    or replace rows there. Run under the lock, in the storing transaction: the check that counts."""
    if ledger_file.source != LedgerFile.Source.WAREHOUSE or not scan.periods:
        return []
    errors = []
    for (seller_id, line_id), (first, last) in sorted(scan.periods.items(), key=lambda item: item[0]):
        periods = ClosedPeriod.objects.filter(
            Q(service_line_id=line_id) | Q(service_line__isnull=True),
            warehouse_id=ledger_file.warehouse_id,
            seller_id=seller_id,
            month__gte=first.replace(day=1),
            month__lte=last,
        ).select_related("seller", "warehouse", "service_line")
        for period in periods.order_by("month", "pk"):
            errors.append(
                RowError(
                    None,
                    kind.date_field,
                    f"this upload's days for seller {period.seller.code} run from {first} to {last}: "
                    + closed_reason(period),
                )
            )
    return errors


def _scan(
    ledger_file: LedgerFile,
    resolver: Resolver,
    write_lines,
    progress,
    closed: dict | None = None,
    *,
    in_force=True,
) -> Scan:
    """Read every row: resolve it, collect its errors, and hand the COPY lines of good rows to ``write_lines``
    (until the first bad row: after that only errors are collected, so that every one is reported).

    ``closed`` (``closed_months``): a row dated in a closed month of its seller and line is a row error."""
    kind = get_kind(ledger_file.kind)
    date_field = kind.date_field
    scan = Scan()
    error_writer = csv.writer(scan.errors_csv)
    error_writer.writerow(["row", "column", "reason"])
    pending: list[str] = []
    try:
        limits = ledger_limits(ledger_file.source)
        with ledger_file.file.open("rb") as handle, open_ledger(handle, kind.key, limits=limits) as stream:
            ledger_file.file_format, ledger_file.encoding = stream.file_format, stream.encoding or ""
            prefix = "\t".join(
                copy_text(v) for v in (ledger_file.pk, ledger_file.warehouse_id, ledger_file.source)
            )
            build = line_builder(kind, stream.schema.row_type, prefix, in_force=in_force)
            periods, shown = scan.periods, scan.shown
            rows = error_count = 0
            for _row_number, result in stream:
                rows += 1
                if isinstance(result, list):
                    row_errors = result
                else:
                    seller_id, line_id, row_errors = resolver.check(result)
                    if closed and not row_errors and seller_id in closed:
                        day = getattr(result, date_field)
                        month = day.replace(day=1)
                        months = closed[seller_id]
                        period = months.get((line_id, month)) or months.get((None, month))
                        if period is not None:
                            row_errors = [RowError(result.row_number, date_field, closed_reason(period))]
                    if not row_errors and not error_count:
                        day = getattr(result, date_field)
                        span = periods.get((seller_id, line_id))
                        if span is None:
                            periods[seller_id, line_id] = [day, day]
                        elif day < span[0]:
                            span[0] = day
                        elif day > span[1]:
                            span[1] = day
                        pending.append(build(result, seller_id, line_id))
                        if len(pending) >= 10_000:
                            write_lines(pending)
                            pending.clear()
                if row_errors:
                    scan.bad_rows += 1
                    for error in row_errors:
                        error_count += 1
                        error_writer.writerow([error.row, error.column, error.reason])
                        if len(shown) < SHOWN_ERRORS:
                            shown.append({"row": error.row, "column": error.column, "reason": error.reason})
                if rows % PROGRESS_EVERY == 0:
                    progress(rows)
            scan.rows, scan.error_count = rows, error_count
    except LedgerFileError as exc:
        scan.file_error = exc
        return scan
    if pending and not scan.error_count:
        write_lines(pending)
    return scan


def _progress_on_side_connection(ledger_file_id: int):
    """Progress written through a second, autocommit connection: pass 1 runs inside the COPY's transaction,
    whose own writes nobody sees before it commits."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    side = psycopg.connect(**params, autocommit=True)
    table = LedgerFile._meta.db_table

    def progress(rows: int) -> None:
        side.execute(f"UPDATE {table} SET rows_checked = %s WHERE id = %s", (rows, ledger_file_id))

    return side, progress


class _Abort(Exception):
    """A bad row or an unreadable file: roll the COPY back. Carries the ``Scan`` with the errors."""

    @property
    def scan(self) -> Scan:
        return self.args[0]


def _check_and_store(ledger_file: LedgerFile, *, now=None) -> LedgerFile:
    """Check every row and store them all or none, with the natural keys held (``inventory.ledgers.keys``).

    On PostgreSQL the rows stream into ``COPY`` while the file is still being read (the server works on the
    other core), in force at once: the common upload (a new month) adds keys nobody holds, and the unique
    indexes check them as the rows go in. If one is held (a replacement of the same days, or a repeat inside
    the file), that attempt is rolled back to its savepoint; the rows this upload replaces are retired first
    and the file streams in again; if a key is still held, the file is loaded out of force to name every
    clash. Elsewhere (SQLite) the rows are spooled, loaded out of force, and put in force after the checks and
    the retirement. All in one transaction, under the warehouse's ledger lock (closed months)."""
    kind = get_kind(ledger_file.kind)
    resolver = Resolver(ledger_file)  # its queries run now: the connection is busy while COPY streams
    if connection.vendor == "postgresql":
        side, progress = _progress_on_side_connection(ledger_file.pk)
        try:
            with transaction.atomic():
                # Closed months are read under the lock a close takes exclusively, in the transaction that
                # stores the rows: a close either committed before (and is seen) or waits for this one.
                lock_ledgers(ledger_file.warehouse_id, exclusive=False)
                closed = closed_months(ledger_file)
                scan, clash = _copy_rows(ledger_file, kind, resolver, progress, closed, in_force=True)
                _check_scan(ledger_file, kind, scan)
                if not clash:
                    return _finish(ledger_file, scan, _retire_replaced(ledger_file, kind, scan), now=now)
                try:
                    with transaction.atomic():  # a key in force already: retire first, then again
                        replaced = _retire_replaced(ledger_file, kind, scan)
                        again, clash = _copy_rows(
                            ledger_file, kind, resolver, progress, closed, in_force=True
                        )
                        _check_scan(ledger_file, kind, again)
                        if clash:
                            raise _Explain
                        return _finish(ledger_file, again, replaced, now=now)
                except _Explain:
                    pass
                scan, _ = _copy_rows(ledger_file, kind, resolver, progress, closed, in_force=False)
                _check_scan(ledger_file, kind, scan)
                _explain_clashes(ledger_file, kind, scan)
                raise _Abort(scan)  # not reached: _explain_clashes always names a clash
        except _Abort as abort:
            scan = abort.scan
        finally:
            side.close()
    else:
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as spool:
            scan = _scan(
                ledger_file,
                resolver,
                spool.writelines,
                lambda rows: LedgerFile.objects.filter(pk=ledger_file.pk).update(rows_checked=rows),
                closed_months(ledger_file),
                in_force=False,
            )
            if not (scan.file_error or scan.error_count or not scan.rows):
                spool.seek(0)
                try:
                    with transaction.atomic():
                        lock_ledgers(ledger_file.warehouse_id, exclusive=False)
                        _bulk_load(kind.model, kind.copy_columns, spool)
                        _check_scan(ledger_file, kind, scan)
                        _explain_clashes(ledger_file, kind, scan, put_in_force=True)
                        replaced = _retire_replaced(ledger_file, kind, scan)
                        if not keys.put_in_force(kind, ledger_file):
                            _explain_clashes(ledger_file, kind, scan)
                        return _finish(ledger_file, scan, replaced, now=now)
                except _Abort as abort:
                    scan = abort.scan
    return _refuse(ledger_file, scan, now=now)


class _Explain(Exception):
    """A key still held after the retirement: roll it back and load out of force to name the clashes."""


def _copy_rows(ledger_file, kind: LedgerKind, resolver, progress, closed, *, in_force: bool):
    """Stream the file into ``COPY`` in a savepoint: (scan, True when a natural key was already held). A
    bad row raises ``_Abort`` (the caller rolls everything back)."""
    import psycopg

    column_of = {f.attname: f.column for f in kind.model._meta.concrete_fields}
    sql = f"COPY {kind.table} ({', '.join(column_of[c] for c in kind.copy_columns)}) FROM STDIN"
    scan = None
    try:
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            scan = _scan(
                ledger_file,
                resolver,
                lambda lines: copy.write("".join(lines)),
                progress,
                closed,
                in_force=in_force,
            )
            if scan.file_error or scan.error_count or not scan.rows:
                raise _Abort(scan)
    except (IntegrityError, psycopg.errors.UniqueViolation):
        return scan, True
    return scan, False


def _check_scan(ledger_file: LedgerFile, kind: LedgerKind, scan: Scan) -> None:
    """After a clean read: a closed month inside a (seller, line) span (closed since the read) refuses."""
    scan.add_errors(_closed_in_range(ledger_file, kind, scan))
    if scan.error_count:
        raise _Abort(scan)


def _explain_clashes(ledger_file: LedgerFile, kind: LedgerKind, scan: Scan, *, put_in_force=False) -> None:
    """With the upload's rows loaded out of force: keys in force from uploads it does not replace, and keys
    repeated inside the file, as row errors (raises ``_Abort``). With ``put_in_force`` only the first are
    looked for (the caller puts the rows in force next, which finds the repeats)."""
    errors, total = keys.held_elsewhere(kind, ledger_file, scan.periods, SHOWN_ERRORS)
    if not total and not put_in_force:
        errors, total = keys.in_file_duplicates(kind, ledger_file, SHOWN_ERRORS)
        if not total:  # another upload stored the same keys meanwhile
            errors, total = (
                [
                    RowError(
                        None,
                        None,
                        "another upload of the same rows was stored meanwhile; upload this file again",
                    )
                ],
                1,
            )
    if total:
        scan.bad_rows += total
        scan.add_errors(errors, total)
        raise _Abort(scan)


def _retire_replaced(ledger_file: LedgerFile, kind: LedgerKind, scan: Scan) -> dict[int, int]:
    """Older rows of the same seller, line and days stop being current and point at this upload (so do rows an
    older upload had replaced: this one is now the newest over them, and they come back only if it is
    withdrawn). Returns {replaced upload id: rows it had in force}."""
    replaced: dict[int, int] = {}
    older = (
        kind.model.objects.filter(warehouse_id=ledger_file.warehouse_id, source=ledger_file.source)
        .filter(keys.scope(kind, scan.periods))
        .exclude(ledger_file=ledger_file)
    )
    in_force = older.filter(is_current=True).values_list("ledger_file_id").annotate(n=Count("pk"))
    for file_id, count in in_force.order_by():
        replaced[file_id] = replaced.get(file_id, 0) + count
    retired = older.filter(Q(is_current=True) | Q(replaced_by__isnull=False))
    retired.update(is_current=False, replaced_by=ledger_file)
    return replaced


def _finish(ledger_file: LedgerFile, scan: Scan, replaced: dict[int, int], *, now=None) -> LedgerFile:
    """Which uploads this one replaced, and how many rows, is recorded; the upload is stored."""
    now = now or timezone.now()
    LedgerReplacement.objects.bulk_create(
        LedgerReplacement(new_file=ledger_file, old_file_id=file_id, rows=count, replaced_at=now)
        for file_id, count in sorted(replaced.items())
    )
    ledger_file.row_count = ledger_file.rows_checked = ledger_file.rows_stored = scan.rows
    ledger_file.period_start = min(span[0] for span in scan.periods.values())
    ledger_file.period_end = max(span[1] for span in scan.periods.values())
    ledger_file.status = LedgerFile.Status.STORED
    ledger_file.finished_at = now
    ledger_file.message = f"{scan.rows} rows stored."
    ledger_file.save()
    if ledger_file.source == LedgerFile.Source.WAREHOUSE:
        spans = {key: (span[0], span[1]) for key, span in scan.periods.items()}
        warehouse_rows_changed.send(sender=LedgerFile, ledger_file=ledger_file, spans=spans)
    return ledger_file


def _refuse(ledger_file: LedgerFile, scan: Scan, *, now=None) -> LedgerFile:
    if scan.file_error is not None:
        ledger_file.errors = [
            {"row": e.row, "column": e.column, "reason": e.reason}
            for e in scan.file_error.errors[:SHOWN_ERRORS]
        ]
        return _fail(
            ledger_file, str(scan.file_error), now=now, error_count=max(1, len(scan.file_error.errors))
        )
    ledger_file.row_count = ledger_file.rows_checked = scan.rows
    if not scan.rows:
        return _fail(ledger_file, "The file has a header but no rows.", now=now)
    ledger_file.errors = scan.shown
    ledger_file.error_file.save(
        f"{ledger_file.pk}-errors.csv", ContentFile(scan.errors_csv.getvalue().encode()), save=False
    )
    shown_note = f"; the first {len(scan.shown)} are listed" if scan.error_count > len(scan.shown) else ""
    where = f" in {scan.bad_rows} row(s)" if scan.bad_rows else ""
    return _fail(
        ledger_file,
        f"{scan.error_count} error(s){where}{shown_note}.",
        now=now,
        error_count=scan.error_count,
    )


def _bulk_load(model, columns: list[str], spool) -> None:
    """The SQLite path: the same spooled rows through bulk_create in batches."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    batch = []
    for line in spool:
        values = line.rstrip("\n").split("\t")
        kwargs = {}
        for column, text in zip(columns, values, strict=True):
            kwargs[column] = None if text == "\\N" else _from_copy(fields[column], text)
        batch.append(model(**kwargs))
        if len(batch) >= 5000:
            model.objects.bulk_create(batch)
            batch = []
    model.objects.bulk_create(batch)


def _from_copy(field, text: str):
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return text in ("t", "True")
    if internal == "DecimalField":
        return Decimal(text)
    if internal == "DateField":
        return date.fromisoformat(text)
    if internal in ("CharField", "TextField"):
        return text.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    return int(text)


def _fail(ledger_file: LedgerFile, message: str, *, now=None, error_count: int = 0) -> LedgerFile:
    ledger_file.status = LedgerFile.Status.FAILED
    ledger_file.message = message
    ledger_file.error_count = error_count
    ledger_file.finished_at = now or timezone.now()
    ledger_file.save()
    return ledger_file


# The task lives next to its service, so the service queues it without importing ``inventory.tasks`` (which
# imports the services: one way). Its name stays the one queued messages and the beat schedule know.
@shared_task(name="inventory.tasks.import_ledger_file_task", acks_late=True)
def import_ledger_file_task(ledger_file_id: int) -> str:
    """Check and store an uploaded ledger file (running it twice does the work once)."""
    return import_ledger_file(ledger_file_id).status


# --- withdrawing an upload, closing a month (SPEC §6) -----------------------------------------------------


def withdraw_ledger_file(
    ledger_file: LedgerFile, *, by, reason: str, now: datetime | None = None
) -> Withdrawal:
    """Take a stored upload out of force, keeping it (and who, when, why) for audit (SPEC §6).

    Its rows stop being current; the rows it had replaced come back in force unless a newer upload covers
    them too (rows point at the newest upload over their day, ``replaced_by``). Refused when the upload is not
    stored, or, for a warehouse-source upload, when any row it holds or would bring back is dated in a closed
    month of its seller. Holds the warehouse's ledger lock exclusively: no upload or close interleaves."""
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawalRefused(_("Give the reason for the withdrawal; it is kept with the upload."))
    with transaction.atomic():
        lock_ledgers(ledger_file.warehouse_id, exclusive=True)
        ledger_file = LedgerFile.objects.select_for_update().get(pk=ledger_file.pk)
        if ledger_file.status != LedgerFile.Status.STORED:
            raise WithdrawalRefused(
                _("Upload #%(id)s is “%(status)s”: only a stored upload can be withdrawn.")
                % {"id": ledger_file.pk, "status": ledger_file.get_status_display()}
            )
        kind = get_kind(ledger_file.kind)
        model = kind.model
        own = model.objects.filter(ledger_file=ledger_file)
        restored = model.objects.filter(replaced_by=ledger_file)
        if ledger_file.source == LedgerFile.Source.WAREHOUSE:
            closed = _closed_months_touched(ledger_file, kind, own, restored)
            if closed:
                raise WithdrawalRefused(
                    _("Upload #%(id)s cannot be withdrawn: %(reasons)s.")
                    % {"id": ledger_file.pk, "reasons": "; ".join(closed_reason(p) for p in closed)}
                )
        # Rows coming back must respect the natural keys (SPEC §6): an upload stored since may hold a key.
        clashes = keys.restore_clashes(kind, ledger_file)
        if clashes:
            raise WithdrawalRefused(
                _(
                    "Upload #%(id)s cannot be withdrawn: rows it replaced would come back while newer "
                    "uploads hold their keys: %(clashes)s. Withdraw those uploads first."
                )
                % {"id": ledger_file.pk, "clashes": "; ".join(clashes)}
            )
        rows_withdrawn = own.filter(is_current=True).count()
        spans = _spans_of(kind, own.filter(is_current=True), restored)
        own.filter(Q(is_current=True) | Q(replaced_by__isnull=False)).update(
            is_current=False, replaced_by=None
        )
        try:
            with transaction.atomic():
                rows_restored = restored.update(is_current=True, replaced_by=None)
        except IntegrityError:  # a race the check above cannot see: the unique indexes refuse
            raise WithdrawalRefused(
                _("Upload #%(id)s cannot be withdrawn now: its rows clash with rows stored meanwhile.")
                % {"id": ledger_file.pk}
            ) from None
        ledger_file.status = LedgerFile.Status.WITHDRAWN
        ledger_file.withdrawn_at = now or timezone.now()
        ledger_file.withdrawn_by = by
        ledger_file.withdrawal_reason = reason
        ledger_file.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        if ledger_file.source == LedgerFile.Source.WAREHOUSE and spans:
            warehouse_rows_changed.send(sender=LedgerFile, ledger_file=ledger_file, spans=spans)
    return Withdrawal(ledger_file, rows_withdrawn=rows_withdrawn, rows_restored=rows_restored)


def _spans_of(kind: LedgerKind, *querysets) -> dict[tuple[int, int | None], tuple[date, date]]:
    """(seller id, service line id) -> (first day, last day) of the rows of ``querysets``."""
    from django.db.models import Max, Min

    spans: dict[tuple[int, int | None], tuple[date, date]] = {}
    for rows in querysets:
        grouped = rows.order_by().values_list("seller_id", "service_line_id")
        for seller_id, line_id, first, last in grouped.annotate(
            first=Min(kind.date_field), last=Max(kind.date_field)
        ):
            old = spans.get((seller_id, line_id))
            spans[seller_id, line_id] = (
                (first, last) if old is None else (min(old[0], first), max(old[1], last))
            )
    return spans


def _closed_months_touched(ledger_file: LedgerFile, kind: LedgerKind, *querysets) -> list[ClosedPeriod]:
    """The closed periods of the upload's warehouse in which any row of ``querysets`` is dated (a period of
    one line closes that line's rows and rows of no line; a period of no line closes every line)."""
    touched = set()
    for queryset in querysets:
        months = (
            queryset.annotate(month=TruncMonth(kind.date_field))
            .values_list("seller_id", "service_line_id", "month")
            .distinct()
        )
        touched.update((seller, line, _first_day(month)) for seller, line, month in months.order_by())
    if not touched:
        return []
    periods = ClosedPeriod.objects.filter(
        warehouse_id=ledger_file.warehouse_id,
        seller_id__in={seller_id for seller_id, _line, _month in touched},
        month__in={month for _seller, _line, month in touched},
    ).select_related("seller", "warehouse", "service_line")
    return [
        p
        for p in periods.order_by("month", "seller__code")
        if any(
            seller_id == p.seller_id
            and month == p.month
            and (p.service_line_id is None or line_id is None or line_id == p.service_line_id)
            for seller_id, line_id, month in touched
        )
    ]


def _first_day(value) -> date:
    if isinstance(value, datetime):  # TruncMonth of a date gives a date on PostgreSQL, may not elsewhere
        value = value.date()
    return value.replace(day=1)


def close_ledger_period(
    *,
    seller: Seller,
    month: date,
    warehouse: Warehouse | None = None,
    service_line: ServiceLine | None = None,
    by=None,
    reference: str = "",
    now: datetime | None = None,
) -> ClosedPeriod:
    """Close ``month`` of ``seller`` at a warehouse (SPEC §6): billing calls it in the transaction that
    issues the invoice. From then on no warehouse-source row dated in that month for that seller is added,
    replaced or withdrawn. Idempotent (closing it again returns the first record). Takes the warehouse's
    ledger lock exclusively, so it waits for an upload being stored, and later uploads see it."""
    if service_line is not None:
        if warehouse is not None and warehouse.pk != service_line.warehouse_id:
            raise ValueError("the service line belongs to another warehouse")
        warehouse = service_line.warehouse
    if warehouse is None:
        raise ValueError("close_ledger_period needs a warehouse or a service line")
    first = date(month.year, month.month, 1)
    with transaction.atomic():
        lock_ledgers(warehouse.pk, exclusive=True)
        period = ClosedPeriod.objects.filter(
            seller=seller, warehouse=warehouse, service_line=service_line, month=first
        ).first()
        if period is None:
            period = ClosedPeriod.objects.create(
                seller=seller,
                warehouse=warehouse,
                service_line=service_line,
                month=first,
                closed_at=now or timezone.now(),
                closed_by=by,
                reference=reference,
            )
    return period
