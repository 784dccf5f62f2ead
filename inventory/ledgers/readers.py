"""Streaming readers for the ledger files of SPEC §6: header mapping, typed rows, every bad cell.

`open_ledger` / `iter_ledger_rows` yield `(row_number, row | [RowError, ...])` one row at a time, so a
million-row file is read in flat memory. `validate_ledger` summarises a file; `read_ledger` returns all
rows only when every row is good (all or nothing, SPEC §6).

Speed: each column's parser sits behind a small per-file cache of the cell texts already seen (ledgers
repeat dates, warehouses, dimensions and quantities), and the row is built by a function generated
for the file's column layout, so the good path does no per-column Python loop.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from .errors import InvalidValue, LedgerFileError, RowError
from .schemas import INVALID, Column, ColumnType, LedgerRow, LedgerSchema, get_schema
from .sources import (
    DEFAULT_LIMITS,
    FORMULA_WITHOUT_VALUE,
    Source,
    UploadError,
    UploadLimits,
    as_ledger_error,
    check_zip,
    csv_records,
    detect_csv_encoding,
    open_source,
    sniff_format,
    xlsx_records,
)

DEFAULT_MAX_ERRORS = 1000
_CACHE_SIZE = 4096
_WARM_UP_ROWS = 2000
_MISS: Any = object()
_NUMBER_CHARS = "0123456789.+-"
_FORMULA_WITHOUT_VALUE_REASON = "is a formula without a saved value (open the file in Excel and save it)"
_HEADER_NOISE = re.compile(r"[\s_\-\ufeff]+")

RowResult = LedgerRow | list[RowError]


def header_key(text: str) -> str:
    """How headers are compared: NFKC-normalised (full-width brackets), ignoring case, spaces, `_`, `-`
    and a BOM."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


class LedgerStream:
    """An open ledger file: `file_format`, `encoding`, `header_row` and `columns` are known once it is
    open (file-level problems raise `LedgerFileError` here); iterate it once for the rows."""

    def __init__(
        self,
        source: Source,
        kind: str,
        *,
        limits: UploadLimits | None = None,
        max_bytes: int | None = None,
        max_uncompressed_bytes: int | None = None,
        max_compression_ratio: float | None = None,
        service_codes: Collection[str] | None = None,
    ) -> None:
        self.schema: LedgerSchema = get_schema(kind)
        if service_codes is not None:  # the caller's list of codes: checked here, as a choice
            self.schema = replace(
                self.schema,
                columns=tuple(
                    replace(c, type=ColumnType.CHOICE, choices=tuple(service_codes))
                    if c.name == "service_code"
                    else c
                    for c in self.schema.columns
                ),
            )
        self.kind = kind
        self.encoding: str | None = None
        self.row_count = 0
        self._service_codes = tuple(service_codes) if service_codes is not None else None
        self.limits = limits = _with_overrides(
            limits or DEFAULT_LIMITS, max_bytes, max_uncompressed_bytes, max_compression_ratio
        )
        try:
            self._opened = open_source(source, max_bytes=limits.max_file_bytes)
        except UploadError as error:
            raise as_ledger_error(error) from None
        self._context: Any = None
        try:
            self.file_format = sniff_format(self._opened)
            if self.file_format == "xlsx":
                check_zip(self._opened, limits)
                self._context = xlsx_records(self._opened, limits)
            else:
                self.encoding = detect_csv_encoding(self._opened)
                self._context = csv_records(self._opened, self.encoding, limits)
            self._records = self._context.__enter__()
            self.header_row, header = self._read_header()
            self.columns = self._map_columns(header)
            self._parsers = [
                (
                    column.name,
                    self.columns.get(column.name),
                    column.make_parser(self._service_codes if column.name == "service_code" else None),
                    {},
                )
                for column in self.schema.columns
            ]
        except UploadError as error:
            self.close()
            raise as_ledger_error(error) from None
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------------

    def _read_header(self) -> tuple[int, list[str]]:
        """The first row that is not blank, with its row number."""
        try:
            for row_number, cells in self._records:
                if any(isinstance(c, str) and c.strip() for c in cells):
                    return row_number, [c if isinstance(c, str) else "" for c in cells]
        except (csv.Error, UnicodeDecodeError) as error:
            raise LedgerFileError(f"the header row cannot be read ({error})") from None
        except UploadError as error:
            raise as_ledger_error(error) from None
        raise LedgerFileError("the file has no header row and no data (it is empty)")

    def _map_columns(self, header: list[str]) -> dict[str, int]:
        """Column name -> index in the file; unknown columns are ignored, missing required ones refused."""
        wanted: dict[str, str] = {}
        for column in self.schema.columns:
            for name in (column.name, *column.aliases):
                wanted[header_key(name)] = column.name
        found: dict[str, int] = {}
        for index, text in enumerate(header):
            name = wanted.get(header_key(text))
            if name is None:
                continue
            if name in found:
                first = header[found[name]].strip()
                raise LedgerFileError(
                    f'the columns "{first}" and "{text.strip()}" both give {name}; keep only one',
                    [RowError(self.header_row, name, f'appears twice ("{first}" and "{text.strip()}")')],
                )
            found[name] = index
        missing = [c for c in self.schema.required_columns if c.name not in found]
        if missing:
            names = ", ".join(c.name + (f" ({c.aliases[0]})" if c.aliases else "") for c in missing)
            message = f"missing required column{'s' if len(missing) > 1 else ''}: {names}"
            if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
                message += " (the header is a single cell: the file must be separated by commas)"
            raise LedgerFileError(
                message, [RowError(self.header_row, c.name, "required column is missing") for c in missing]
            )
        return found

    def _compile(self, cached: set[str] | None = None) -> Callable[[list[Any], int], LedgerRow]:
        """The good-path row builder for this file's layout: one generated function, no per-column loop.

        Common good cells are converted inline; anything else goes to the column's careful parser,
        and any exception sends the row to `_slow`, which names every bad cell. Columns in `cached`
        (all, when None) look the cell text up in a per-file cache first.
        """
        namespace: dict[str, Any] = {
            "NEW": tuple.__new__,
            "CLS": self.schema.row_type,
            "MISS": _MISS,
            "DEC": Decimal,
            "INT": int,
            "NUM": _NUMBER_CHARS,
        }
        lines = ["def fast(r, n):"]
        arguments = []
        for i, (name, index, parse, cache) in enumerate(self._parsers):
            column = self.schema.columns[i]
            if index is None:
                namespace[f"D{i}"] = column.default
                arguments.append(f"D{i}")
                continue
            namespace[f"P{i}"] = parse
            arguments.append(f"v{i}")
            convert = _inline_conversion(column, f"v{i}", f"P{i}", f"B{i}", namespace)
            lines.append(f"    s = r[{index}]")
            if cached is not None and name not in cached:
                lines += [f"    {line}" for line in convert]
                continue
            namespace[f"G{i}"], namespace[f"C{i}"] = cache.get, cache
            lines += [
                f"    v{i} = G{i}(s, MISS)",
                f"    if v{i} is MISS:",
                *(f"        {line}" for line in convert),
                f"        if len(C{i}) >= {_CACHE_SIZE}:",
                f"            C{i}.clear()",
                f"        C{i}[s] = v{i}",
            ]
        lines.append(f"    return NEW(CLS, ({', '.join(arguments)}, n))")
        exec(compile("\n".join(lines), f"<ledger {self.kind} row>", "exec"), namespace)
        return namespace["fast"]

    def _recompile_for_repeats(self, rows_seen: int) -> Callable[[list[Any], int], LedgerRow]:
        """After a warm-up, keep the cache only for columns whose values repeat (most do)."""
        cached = set()
        for name, _, _, cache in self._parsers:
            if len(cache) * 2 <= rows_seen:
                cached.add(name)
            else:
                cache.clear()
        return self._compile(cached)

    # -- reading ------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[int, RowResult]]:
        if self._context is None:
            raise RuntimeError("a ledger stream is read once; open the file again to re-read it")
        fast, check, warm_up = self._compile(), self.schema.check_row, _WARM_UP_ROWS
        count = 0
        row_number = self.header_row
        try:
            for row_number, cells in self._records:  # noqa: B007 - read in the error messages below
                try:
                    row: RowResult = fast(cells, row_number)
                except Exception:  # noqa: BLE001 - any failure: redo slowly, naming every bad cell
                    result = self._slow(cells, row_number)
                    if result is None:
                        continue
                    row = result
                else:
                    if check is not None and (problems := check(row)):
                        row = [RowError(row_number, column, reason) for column, reason in problems]
                count += 1
                if count == warm_up:
                    fast = self._recompile_for_repeats(count)
                yield row_number, row
            if count == 0:
                raise LedgerFileError(f"the file has a header (row {self.header_row}) but no data rows")
        except UploadError as error:
            raise as_ledger_error(error) from None
        except csv.Error as error:
            raise LedgerFileError(f"row {row_number + 1}: the CSV cannot be read ({error})") from None
        except UnicodeDecodeError as error:
            raise LedgerFileError(
                f"row {row_number + 1}: the file changed encoding while being read ({error})"
            ) from None
        finally:
            self.row_count = count
            self.close()

    def _slow(self, cells: list[Any], row_number: int) -> RowResult | None:
        """Parse cell by cell, collecting every problem; None for a blank row (skipped)."""
        if not any(c is FORMULA_WITHOUT_VALUE or c.strip() for c in cells):
            return None
        width = len(cells)
        parsed: dict[str, Any] = {}
        errors: list[RowError] = []
        for name, index, parse, _ in self._parsers:
            text = cells[index] if index is not None and index < width else ""
            if text is FORMULA_WITHOUT_VALUE:
                errors.append(RowError(row_number, name, _FORMULA_WITHOUT_VALUE_REASON))
                parsed[name] = INVALID
                continue
            try:
                parsed[name] = parse(text)
            except InvalidValue as problem:
                errors.append(RowError(row_number, name, problem.reason))
                parsed[name] = INVALID
        check = self.schema.check_row
        if errors:
            if check is not None:
                errors += [RowError(row_number, c, r) for c, r in check(SimpleNamespace(**parsed))]
            return errors
        row = self.schema.row_type(**parsed, row_number=row_number)
        if check is not None and (problems := check(row)):
            return [RowError(row_number, column, reason) for column, reason in problems]
        return row

    def close(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            context.__exit__(None, None, None)
        self._opened.close()

    def __del__(self) -> None:
        if getattr(self, "_opened", None) is not None:
            self.close()

    def __enter__(self) -> LedgerStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _with_overrides(
    limits: UploadLimits,
    max_bytes: int | None,
    max_uncompressed_bytes: int | None,
    max_compression_ratio: float | None,
) -> UploadLimits:
    """The caps with the single-value options of ``open_ledger`` (kept for callers and tests) applied."""
    changes: dict[str, Any] = {}
    if max_bytes is not None:
        changes["max_file_bytes"] = max_bytes
    if max_uncompressed_bytes is not None:
        changes["xlsx_max_unpacked_bytes"] = max_uncompressed_bytes
        changes["xlsx_max_member_bytes"] = min(limits.xlsx_max_member_bytes, max_uncompressed_bytes)
    if max_compression_ratio is not None:
        changes["xlsx_max_compression_ratio"] = max_compression_ratio
    return limits.replace(**changes) if changes else limits


def _inline_conversion(column: Column, target: str, careful: str, bound: str, namespace: dict) -> list[str]:
    """Source lines setting `target` from the cell text `s`: plain numbers inline, the rest `careful`."""
    checks = []
    for attribute, operator in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        limit = getattr(column, attribute)
        if limit is not None:
            namespace[f"{bound}{attribute}"] = limit
            checks.append(f"{target} {operator} {bound}{attribute}")
    if column.type is ColumnType.DECIMAL and column.places is not None:
        checks.append(f"(s.find('.') < 0 or len(s) - s.find('.') <= {column.places + 1})")
    in_bounds = " and ".join(checks)
    if column.type is ColumnType.DECIMAL:
        lines = ["if s and not s.strip(NUM):", f"    {target} = DEC(s)"]
    elif column.type is ColumnType.INTEGER:
        lines = ["if s.isdigit() and s.isascii():", f"    {target} = INT(s)"]
    elif column.type is ColumnType.TEXT:
        return [f"{target} = s.strip() or {careful}(s)"]
    elif column.type is ColumnType.CODE:
        return [f"{target} = s.strip().lower() or {careful}(s)"]
    else:
        return [f"{target} = {careful}(s)"]
    if in_bounds:
        lines += [f"    if not ({in_bounds}):", f"        {target} = {careful}(s)"]
    return [*lines, "else:", f"    {target} = {careful}(s)"]


def open_ledger(source: Source, kind: str, **options: Any) -> LedgerStream:
    """Open a ledger file of `kind` (stock, outbound, vas, tax, inbound, receiving) for streaming.

    Options: limits (``portal.uploads.UploadLimits``; default ``DEFAULT_LIMITS``), or max_bytes,
    max_uncompressed_bytes, max_compression_ratio one by one; service_codes (VAS codes accepted;
    by default any code, lower-cased: the importer checks it against the warehouse's rate cards).
    Raises LedgerFileError for a file that cannot be read at all.
    """
    return LedgerStream(source, kind, **options)


def iter_ledger_rows(source: Source, kind: str, **options: Any) -> Iterator[tuple[int, RowResult]]:
    """`(row_number, row)` or `(row_number, [RowError, ...])`, one row at a time (header is row 1, §6).

    The file is opened and its header checked now (LedgerFileError at once for a file that cannot be
    read); rows are parsed as they are asked for, and the file is closed when they run out.
    """
    return iter(open_ledger(source, kind, **options))


@dataclass
class ValidationReport:
    """What validating a ledger file found: counts, the first `max_errors` errors, format and encoding."""

    kind: str
    file_format: str | None
    encoding: str | None
    row_count: int
    bad_row_count: int
    error_count: int
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.file_error is None

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)


def validate_ledger(
    source: Source, kind: str, *, max_errors: int = DEFAULT_MAX_ERRORS, **options: Any
) -> ValidationReport:
    """Check a whole file without keeping its rows; file-level problems are reported, not raised."""
    schema = get_schema(kind)
    errors: list[RowError] = []
    file_format = encoding = None
    rows = bad_rows = error_count = 0
    try:
        with open_ledger(source, schema.kind, **options) as stream:
            file_format, encoding = stream.file_format, stream.encoding
            for _, row in stream:
                rows += 1
                if type(row) is list:
                    bad_rows += 1
                    error_count += len(row)
                    errors.extend(row[: max(0, max_errors - len(errors))])
    except LedgerFileError as problem:
        listed = (problem.errors + errors)[: max(max_errors, len(problem.errors))]
        total = error_count + len(problem.errors)
        return ValidationReport(kind, file_format, encoding, rows, bad_rows, total, listed, str(problem))
    return ValidationReport(kind, file_format, encoding, rows, bad_rows, error_count, errors)


def read_ledger(source: Source, kind: str, **options: Any) -> list[LedgerRow]:
    """Every row of the file, or LedgerFileError carrying every bad row's errors (all or nothing, §6)."""
    rows: list[LedgerRow] = []
    errors: list[RowError] = []
    for _, row in iter_ledger_rows(source, kind, **options):
        if type(row) is list:
            if not errors:
                rows.clear()
            errors.extend(row)
        elif not errors:
            rows.append(row)
    if errors:
        bad_rows = len({e.row for e in errors})
        raise LedgerFileError(
            f"{bad_rows:,} bad row{'s' if bad_rows > 1 else ''}, nothing was read; first: {errors[0]}", errors
        )
    return rows
