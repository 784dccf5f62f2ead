"""Untrusted files (STYLE "Untrusted files", issue 10 finding 4): one place for every upload.

- ``UploadLimits``: the caps (file size, physical line, logical record, cell, columns, rows, XLSX
  unpacked size per member and in total, shared strings, compression ratio); ``upload_limits(...)``
  builds them from the settings for one kind of upload.
- ``open_source``: a path, bytes or upload opened for reading, refused by its size before any byte is
  read (or while it is copied, when the size is not known).
- ``csv_records``: a CSV reader that refuses an over-long physical line, logical record (a quoted cell
  spanning lines), cell, too many columns or rows *while reading*: nothing bigger than the caps is
  ever held in memory.
- ``check_zip`` / ``xlsx_records``: the XLSX opener. The central directory is checked first (member
  count, declared sizes per member and in total, shared strings, compression ratio); then every
  member is read through a counter that refuses more bytes than the caps whatever the headers say, and
  the shared-strings table is read with a cap on its size and count (openpyxl would load it whole).
- ``validate_document``: certificates and order documents: size first, type from the magic bytes.

Reading problems raise ``UploadError`` (plain English, naming the row/column or the cap and the
limit); callers turn it into their own error type. Django is imported only inside the functions that
need it (settings, form errors), so the pure ledger readers can use this module.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

KB = 1024
MB = 1024 * 1024
GB = 1024 * MB
_CHUNK = MB
_RATIO_MIN_MEMBER_SIZE = MB  # small parts (styles, an empty sheet) compress very well and are harmless

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHARED_STRINGS = "xl/sharedStrings.xml"

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]

# Stands in a record for a formula cell that has no cached value.
FORMULA_WITHOUT_VALUE: Any = type("FormulaWithoutValue", (), {"__repr__": lambda self: "FORMULA"})()


class UploadError(ValueError):
    """An untrusted file is refused: the message names the cap and the limit, or the row/column."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class UploadLimits:
    """Every cap on an untrusted spreadsheet; checked while reading (see the module docstring)."""

    max_file_bytes: int = 200 * MB
    max_line_chars: int = MB  # one physical line of a CSV, line break included
    max_record_chars: int = MB  # one logical record (quoted cells may span lines)
    max_field_chars: int = 128 * KB  # one cell
    max_columns: int = 500
    max_rows: int = 10_000_000
    xlsx_max_member_bytes: int = 768 * MB  # one part of the XLSX archive, unpacked
    xlsx_max_unpacked_bytes: int = GB  # all parts together, unpacked
    xlsx_max_shared_strings_bytes: int = 64 * MB  # xl/sharedStrings.xml, unpacked (loaded whole)
    xlsx_max_shared_strings: int = 1_000_000  # strings in that table
    xlsx_max_compression_ratio: float = 100
    xlsx_max_members: int = 10_000

    def replace(self, **changes: Any) -> UploadLimits:
        return replace(self, **changes)


DEFAULT_LIMITS = UploadLimits()

# Upload kinds -> the setting holding their file-size cap.
FILE_SIZE_SETTINGS = {
    "warehouse_ledger": "LEDGER_MAX_BYTES",
    "seller_ledger": "SELLER_LEDGER_MAX_BYTES",
    "sku_import": "SKU_IMPORT_MAX_BYTES",
    "document": "DOCUMENT_MAX_BYTES",
}


def upload_limits(kind: str = "warehouse_ledger") -> UploadLimits:
    """The caps of one kind of upload (``FILE_SIZE_SETTINGS``), from the settings (README "Security")."""
    from django.conf import settings

    limits = UploadLimits(
        max_file_bytes=getattr(settings, FILE_SIZE_SETTINGS[kind]),
        max_line_chars=settings.UPLOAD_MAX_LINE_CHARS,
        max_record_chars=settings.UPLOAD_MAX_RECORD_CHARS,
        max_field_chars=settings.UPLOAD_MAX_FIELD_CHARS,
        max_columns=settings.UPLOAD_MAX_COLUMNS,
        max_rows=settings.UPLOAD_MAX_ROWS,
        xlsx_max_member_bytes=settings.UPLOAD_XLSX_MAX_MEMBER_BYTES,
        xlsx_max_unpacked_bytes=settings.UPLOAD_XLSX_MAX_UNPACKED_BYTES,
        xlsx_max_shared_strings_bytes=settings.UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES,
        xlsx_max_shared_strings=settings.UPLOAD_XLSX_MAX_SHARED_STRINGS,
        xlsx_max_compression_ratio=settings.UPLOAD_XLSX_MAX_COMPRESSION_RATIO,
    )
    if kind == "sku_import":
        limits = limits.replace(max_rows=settings.SKU_IMPORT_MAX_ROWS)
    return limits


def bytes_text(size: int) -> str:
    """A size in the readers' messages: ``4.0 MB`` from a megabyte up, else ``1,000 bytes``."""
    if size >= MB:
        return f"{size / MB:.1f} MB"
    return f"{size:,} bytes"


def size_text(size: int) -> str:
    """A size for forms and help texts: ``10 MB``, ``1.5 GB``, ``300 KB``."""
    if size >= GB:
        return f"{size / GB:.1f}".removesuffix(".0") + " GB"
    if size >= MB:
        return f"{size / MB:.1f}".removesuffix(".0") + " MB"
    if size >= KB:
        return f"{size / KB:.0f} KB"
    return f"{size} B"


# --- opening ---------------------------------------------------------------------------------------


@dataclass
class OpenedFile:
    """A binary, seekable view of the upload; `owned` says whether closing it is ours to do."""

    file: IO[bytes]
    size: int
    owned: bool

    def close(self) -> None:
        if self.owned:
            self.file.close()


def check_file_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise UploadError(f"the file is {bytes_text(size)}, more than the limit of {bytes_text(max_bytes)}")


def open_source(source: Source, *, max_bytes: int) -> OpenedFile:
    """Open a path, bytes or binary file object, refusing it before reading if it exceeds `max_bytes`."""
    if isinstance(source, (str, os.PathLike)):
        size = os.stat(source).st_size
        check_file_size(size, max_bytes)
        return OpenedFile(open(source, "rb"), size, owned=True)  # noqa: SIM115 - closed by OpenedFile
    if isinstance(source, (bytes, bytearray, memoryview)):
        check_file_size(len(source), max_bytes)
        return OpenedFile(io.BytesIO(bytes(source)), len(source), owned=True)
    if isinstance(source, io.TextIOBase):
        raise TypeError("untrusted files must be opened in binary mode ('rb')")
    if isinstance(source, io.IOBase) and source.seekable():
        source.seek(0, io.SEEK_END)
        size = source.tell()
        check_file_size(size, max_bytes)
        source.seek(0)
        return OpenedFile(source, size, owned=False)
    # Pipes and file-likes that are not io streams (e.g. a web framework's upload wrapper) are copied
    # into a temporary file first, counting bytes against the limit as they come.
    declared = getattr(source, "size", None)
    if isinstance(declared, int):
        check_file_size(declared, max_bytes)
    return _spool(source, max_bytes)


def _spool(stream: IO[bytes], max_bytes: int) -> OpenedFile:
    spool = tempfile.SpooledTemporaryFile(max_size=16 * MB)  # noqa: SIM115 - owned
    size = 0
    if hasattr(stream, "seek") and getattr(stream, "seekable", lambda: True)():
        stream.seek(0)
    while chunk := stream.read(_CHUNK):
        if isinstance(chunk, str):
            spool.close()
            raise TypeError("untrusted files must be opened in binary mode ('rb')")
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise UploadError(f"the file is more than the limit of {bytes_text(max_bytes)}")
        spool.write(chunk)
    spool.seek(0)
    return OpenedFile(spool, size, owned=True)  # type: ignore[arg-type]


def sniff_spreadsheet(opened: OpenedFile) -> str:
    """'xlsx' or 'csv', from the first bytes; refuses empty files and formats we cannot read."""
    if opened.size == 0:
        raise UploadError("the file is empty")
    opened.file.seek(0)
    head = opened.file.read(8)
    opened.file.seek(0)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(EMPTY_ZIP_MAGIC):
        raise UploadError("the file is an empty ZIP archive, not an XLSX workbook")
    if head.startswith(OLE_MAGIC):
        raise UploadError("old Excel .xls files are not accepted: save the sheet as .xlsx or CSV")
    return "csv"


# --- CSV: the capped line / record / cell reader ----------------------------------------------------


@contextlib.contextmanager
def csv_records(
    opened: OpenedFile, encoding: str, limits: UploadLimits = DEFAULT_LIMITS
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(row number, cells) for every record; the row number counts records as a spreadsheet shows them."""
    opened.file.seek(0)
    text = io.TextIOWrapper(opened.file, encoding=encoding, errors="strict", newline="")
    try:
        yield capped_csv_records(text, limits)
    finally:
        if opened.owned:
            text.close()
        else:
            text.detach()


def capped_csv_records(
    text: IO[str], limits: UploadLimits = DEFAULT_LIMITS
) -> Iterator[tuple[int, list[str]]]:
    """Comma-separated records, as `csv.reader` (Excel dialect) reads them, within the caps.

    Lines are read with ``readline(max_line_chars + 1)``, so an over-long line is refused after reading
    only the cap. A line without a double quote is split on commas (what csv.reader does with it); a
    line with one goes to a real csv.reader, which pulls the following lines (through the same capped
    reader, counting the record's length) when a quoted cell spans lines. Cells and columns are only
    counted on lines long enough to break a cap, so the common short line costs nothing more.
    """
    max_line, max_record, max_field = limits.max_line_chars, limits.max_record_chars, limits.max_field_chars
    max_columns, max_rows = limits.max_columns, limits.max_rows
    if csv.field_size_limit() < max_field + 1:
        csv.field_size_limit(max_field + 1)
    lines = iter(functools.partial(text.readline, max_line + 1), "")
    row = 0
    pulled = 0  # characters of the current quoted record
    pushed_back: list[str] = []

    def too_long(line: str) -> UploadError:
        return UploadError(f"row {row}: a line is longer than the limit of {max_line:,} characters", row=row)

    def feed() -> Iterator[str]:
        nonlocal pulled
        while True:
            if pushed_back:
                yield pushed_back.pop()
                continue
            line = next(lines, None)
            if line is None:
                return
            if len(line) > max_line:
                raise too_long(line)
            pulled += len(line)
            if pulled > max_record:
                raise UploadError(
                    f"row {row}: a quoted cell runs over several lines beyond the limit of "
                    f"{max_record:,} characters for one row (is a closing double quote missing?)",
                    row=row,
                )
            yield line

    quoted = csv.reader(feed())
    for line in lines:
        row += 1
        if row > max_rows:
            raise UploadError(f"the file has more than {max_rows:,} rows, the limit", row=row)
        size = len(line)
        if size > max_line:
            raise too_long(line)
        if '"' in line:
            pulled = size
            pushed_back.append(line)
            try:
                cells = next(quoted)
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    raise UploadError(
                        f"row {row}: a cell is longer than the limit of {max_field:,} characters", row=row
                    ) from None
                raise
            size = pulled
        else:
            cells = line.rstrip("\r\n").split(",")
        if size > max_field or size >= max_columns:
            check_cells(cells, row, limits)
        yield row, cells


def check_cells(cells: list[Any], row: int, limits: UploadLimits) -> None:
    """Refuse a record with too many columns or an over-long cell (naming the column)."""
    if len(cells) > limits.max_columns:
        raise UploadError(
            f"row {row}: {len(cells):,} columns, more than the limit of {limits.max_columns:,}", row=row
        )
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > limits.max_field_chars:
            column = column_letter(index)
            raise UploadError(
                f"row {row}, column {column}: the cell has {len(cell):,} characters, more than the limit "
                f"of {limits.max_field_chars:,}",
                row=row,
                column=column,
            )


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- XLSX: the capped opener ------------------------------------------------------------------------


def check_zip(opened: OpenedFile, limits: UploadLimits = DEFAULT_LIMITS) -> None:
    """Refuse, from the central directory alone, a zip that is not a workbook or would inflate too much."""
    opened.file.seek(0)
    try:
        with zipfile.ZipFile(opened.file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UploadError(f"the file looks like XLSX (a ZIP archive) but is damaged: {error}") from None
    finally:
        opened.file.seek(0)
    if len(members) > limits.xlsx_max_members:
        raise UploadError(f"the XLSX archive has {len(members):,} parts; a workbook never has that many")
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise UploadError("the file is a ZIP archive but not an XLSX workbook (no xl/workbook.xml)")
    total = sum(m.file_size for m in members)
    if total > limits.xlsx_max_unpacked_bytes:
        raise UploadError(
            f"the XLSX file would expand to {bytes_text(total)}, more than the limit of "
            f"{bytes_text(limits.xlsx_max_unpacked_bytes)}"
        )
    for member in members:
        cap = member_cap(member.filename, limits)
        if member.file_size > cap:
            raise UploadError(
                f"the XLSX part {member.filename} would expand to {bytes_text(member.file_size)}, more than "
                f"the limit of {bytes_text(cap)}"
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_MIN_MEMBER_SIZE and ratio > limits.xlsx_max_compression_ratio:
            raise UploadError(
                f"the XLSX part {member.filename} is compressed {int(ratio):,} to 1, more than "
                f"{limits.xlsx_max_compression_ratio:g} to 1: refused as a possible zip bomb"
            )


def member_cap(name: str, limits: UploadLimits) -> int:
    if name == SHARED_STRINGS:
        return limits.xlsx_max_shared_strings_bytes
    return limits.xlsx_max_member_bytes


class _CountedMember(io.RawIOBase):
    """A zip member read through a counter: more bytes than its cap (or the archive's) are refused,
    whatever its header declared, and so is a compression ratio beyond the cap."""

    def __init__(self, raw: IO[bytes], name: str, compressed: int, cap: int, archive: CappedZipFile):
        self.raw, self.name, self.compressed, self.cap, self.archive = raw, name, compressed, cap, archive
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._add(size)
        return size

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self._add(len(data))
        return data

    def _add(self, size: int) -> None:
        self.count += size
        self.archive.unpacked += size
        limits = self.archive.limits
        if self.count > self.cap:
            raise UploadError(
                f"the XLSX part {self.name} expands to more than the limit of {bytes_text(self.cap)}"
            )
        if self.archive.unpacked > limits.xlsx_max_unpacked_bytes:
            raise UploadError(
                "the XLSX file expands to more than the limit of "
                f"{bytes_text(limits.xlsx_max_unpacked_bytes)}"
            )
        if self.count > _RATIO_MIN_MEMBER_SIZE and self.count > limits.xlsx_max_compression_ratio * max(
            self.compressed, 1
        ):
            raise UploadError(
                f"the XLSX part {self.name} is compressed more than {limits.xlsx_max_compression_ratio:g} "
                f"to 1: refused as a possible zip bomb"
            )

    def close(self) -> None:
        self.raw.close()
        super().close()


class CappedZipFile(zipfile.ZipFile):
    """A ZipFile whose members are read through ``_CountedMember`` (actual decompressed bytes)."""

    def __init__(self, file: IO[bytes], limits: UploadLimits):
        super().__init__(file)
        self.limits = limits
        self.unpacked = 0

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):  # type: ignore[override]
        member = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return member
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        counted = _CountedMember(
            member, info.filename, info.compress_size, member_cap(info.filename, self.limits), self
        )
        return io.BufferedReader(counted, buffer_size=64 * KB)

    def read(self, name, pwd=None) -> bytes:  # type: ignore[override]
        with self.open(name, "r", pwd) as member:
            return member.read()


def read_shared_strings(archive: CappedZipFile, path: str, limits: UploadLimits) -> list[str]:
    """The shared-strings table (what openpyxl's ``read_string_table`` returns), with a cap on the number
    of strings (and, through the archive, on the bytes): the table is held in memory whole, so it is the
    part a zip bomb aims at. Parsed elements are dropped as they are read (memory: the strings only)."""
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    si, t, r = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("si", "t", "r"))
    strings: list[str] = []
    cap = limits.xlsx_max_shared_strings
    root = None
    with archive.open(path) as source:
        for event, node in iterparse(source, events=("start", "end")):
            if root is None:
                root = node
            if event != "end" or node.tag != si:
                continue
            if len(strings) >= cap:
                raise UploadError(f"the XLSX shared strings table has more than {cap:,} strings, the limit")
            parts = []
            for child in node:  # plain text, then rich-text runs; phonetic hints (rPh) are not text
                if child.tag == t:
                    parts.append(child.text or "")
                elif child.tag == r:
                    run = child.find(t)
                    if run is not None:
                        parts.append(run.text or "")
            strings.append("".join(parts).replace("x005F_", ""))
            root.clear()
    return strings


def cell_text(value: Any) -> Any:
    """A cached XLSX cell value as the text a CSV would hold (numbers exact: `Decimal(str(float))`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(str(value)), "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if value is FORMULA_WITHOUT_VALUE:
        return value
    return str(value)


@contextlib.contextmanager
def xlsx_records(
    opened: OpenedFile, limits: UploadLimits = DEFAULT_LIMITS
) -> Iterator[Iterator[tuple[int, list[Any]]]]:
    """(sheet row number, cell texts) of the first worksheet, within the caps; a formula cell lacking a
    cached value is FORMULA_WITHOUT_VALUE in its place. Call ``check_zip`` first.

    openpyxl's `load_workbook(read_only=True, data_only=True)` minus its last step: that step scans every
    sheet in full for its size when the sheet does not state it, so here only the workbook parts
    (strings, styles, sheet list) are loaded and the first worksheet is parsed once, with openpyxl's
    own sheet parser (openpyxl 3.1 has no public hook for a formula without a cached value). Every part
    is read through ``CappedZipFile``.
    """
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import ARC_CONTENT_TYPES, ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHARED_STRINGS as SHARED_STRINGS_TYPE
    from openpyxl.xml.functions import fromstring

    class _Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            # A text formula may really have computed "" (`t="str"` with a `<v>`); any other formula
            # with an empty or absent `<v>` was never calculated (e.g. written by a script).
            if (
                cell["value"] is None
                and element.find(FORMULA_TAG) is not None
                and not (element.get("t") == "str" and element.find(VALUE_TAG) is not None)
            ):
                cell["value"] = FORMULA_WITHOUT_VALUE
            return cell

    opened.file.seek(0)
    try:
        archive = CappedZipFile(opened.file, limits)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UploadError(f"the XLSX file cannot be opened: {error}") from None
    try:
        reader = ExcelReader.__new__(ExcelReader)
        reader.archive, reader.valid_files = archive, archive.namelist()
        reader.read_only, reader.keep_vba, reader.data_only = True, False, True
        reader.keep_links, reader.rich_text, reader.shared_strings = False, False, []
        try:
            reader.package = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
            strings = reader.package.find(SHARED_STRINGS_TYPE)
            if strings is not None:
                reader.shared_strings = read_shared_strings(archive, strings.PartName[1:], limits)
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheet_path = next(
                (
                    rel.target
                    for _, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type
                ),
                None,
            )
        except UploadError:
            raise
        except Exception as error:  # openpyxl raises many types for a damaged workbook
            raise UploadError(f"the XLSX file cannot be opened: {error}") from None
        if sheet_path is None:
            raise UploadError("the XLSX file has no worksheet")
        with archive.open(sheet_path) as xml:
            parser = _Parser(
                xml,
                reader.shared_strings,
                data_only=True,
                epoch=reader.wb.epoch,
                date_formats=reader.wb._date_formats,
                timedelta_formats=reader.wb._timedelta_formats,
            )
            yield _xlsx_rows(parser, limits)
    finally:
        archive.close()


def _xlsx_rows(parser: Any, limits: UploadLimits) -> Iterator[tuple[int, list[Any]]]:
    row_number = 0
    rows = 0
    max_columns, max_field, max_rows = limits.max_columns, limits.max_field_chars, limits.max_rows
    try:
        for row_number, cells in parser.parse():  # noqa: B007 - read after the loop for the error
            if not cells:
                continue
            rows += 1
            if rows > max_rows:
                raise UploadError(f"the file has more than {max_rows:,} rows, the limit", row=row_number)
            width = max(cell["column"] for cell in cells)
            if width > max_columns:
                raise UploadError(
                    f"row {row_number}: {width:,} columns, more than the limit of {max_columns:,}",
                    row=row_number,
                )
            record: list[Any] = [""] * width
            for cell in cells:
                value = cell_text(cell["value"])
                if value.__class__ is str and len(value) > max_field:
                    column = column_letter(cell["column"] - 1)
                    raise UploadError(
                        f"row {row_number}, column {column}: the cell has {len(value):,} characters, more "
                        f"than the limit of {max_field:,}",
                        row=row_number,
                        column=column,
                    )
                record[cell["column"] - 1] = value
            yield row_number, record
    except UploadError:
        raise
    except Exception as error:  # damaged sheet XML
        raise UploadError(f"after row {row_number}: the XLSX sheet cannot be read ({error})") from None


# --- documents (certificates, order documents, dispute evidence) -------------------------------------

MAX_DOCUMENT_BYTES = 10 * MB
SNIFF_BYTES = 16

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}

_PREFIX = re.compile(r"^[0-9a-f]{16}-")
_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)


def sniff_document_type(head: bytes) -> str | None:
    """The MIME type of a PDF, JPEG or PNG file from its first bytes, or None for anything else."""
    for magic, mime_type in _SIGNATURES:
        if head.startswith(magic):
            return mime_type
    return None


def read_head(file, size: int = SNIFF_BYTES) -> bytes:
    """The first bytes of an uploaded or stored file, leaving its position at the start."""
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head


def validate_document(file, *, max_bytes: int | None = None) -> str:
    """Refuse an upload over ``max_bytes`` (default: the DOCUMENT_MAX_BYTES setting) or whose content is
    not PDF/JPEG/PNG; return its MIME type.

    Used by the certificate and order-document forms' ``clean_file``: a refused upload never reaches the
    storage.
    """
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext_lazy as _

    if max_bytes is None:
        max_bytes = document_max_bytes()
    if file.size > max_bytes:
        raise ValidationError(
            _("The file is larger than %(limit)s."),
            code="file_too_large",
            params={"limit": size_text(max_bytes)},
        )
    if file.size == 0:
        raise ValidationError(_("The file is empty."), code="empty_file")
    mime_type = sniff_document_type(read_head(file))
    if mime_type is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted; this file's content is none of them."),
            code="file_type",
        )
    return mime_type


def document_max_bytes() -> int:
    from django.conf import settings

    return getattr(settings, "DOCUMENT_MAX_BYTES", MAX_DOCUMENT_BYTES)


def safe_document_name(original_name: str, mime_type: str) -> str:
    """The stored file name: the seller's name, cleaned, with the extension of the detected type."""
    from django.core.exceptions import SuspiciousFileOperation
    from django.utils.text import get_valid_filename

    stem = Path(original_name).stem.strip(" .")[:80]
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:  # nothing usable left of the name
        stem = "certificate"
    return f"{stem}{EXTENSIONS[mime_type]}"


def storage_name(original_name: str, mime_type: str) -> str:
    """The name the file is stored under: an unguessable prefix, then the clean name (even if the
    media folder were ever served directly, another seller's file could not be guessed)."""
    return f"{secrets.token_hex(8)}-{safe_document_name(original_name, mime_type)}"


def download_name(stored_name: str) -> str:
    """The name a seller sees when downloading: the stored name without folder and prefix."""
    return _PREFIX.sub("", stored_name.rsplit("/", 1)[-1])
