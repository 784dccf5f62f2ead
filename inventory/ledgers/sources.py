"""Untrusted ledger files in, records (row number, cell texts) out (SPEC §6, STYLE "Untrusted files").

- Size is checked before anything is read; the type comes from the content (magic bytes), not the name.
- CSV encoding is decided by one pass over all the bytes before any row is parsed (about 0.25 s per
  100 MB): strict UTF-8 (BOM or not); failing that GB18030 (a superset of GBK, what a Chinese Excel
  writes), unless plenty of valid non-ASCII UTF-8 came before the first bad byte, in which case the
  file mixes encodings and is refused; failing both, it is refused. So a GBK byte late in a file is
  found before any row is handed out, never after.
- XLSX: a zip with `xl/workbook.xml`; the declared sizes of its members (which Python's zipfile
  enforces while inflating) are checked against a cap and a compression ratio before openpyxl opens
  it; only the first sheet's cached values are read, and a formula cell without a cached value is
  reported as such (openpyxl alone would make it an empty cell).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from .errors import LedgerFileError

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 100
_RATIO_MIN_MEMBER_SIZE = 1024 * 1024
_MAX_ZIP_MEMBERS = 10_000
_CHUNK = 1024 * 1024
_UTF8_EVIDENCE_BYTES = 16
MAX_LINE_CHARS = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Stands in a record for a formula cell that has no cached value.
FORMULA_WITHOUT_VALUE: Any = type("FormulaWithoutValue", (), {"__repr__": lambda self: "FORMULA"})()

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size:,} bytes"


@dataclass
class OpenedFile:
    """A binary, seekable view of the upload; `owned` says whether closing it is ours to do."""

    file: IO[bytes]
    size: int
    owned: bool

    def close(self) -> None:
        if self.owned:
            self.file.close()


def open_source(source: Source, *, max_bytes: int) -> OpenedFile:
    """Open a path, bytes or binary file object, refusing it before reading if it exceeds `max_bytes`."""
    if isinstance(source, (str, os.PathLike)):
        size = os.stat(source).st_size
        _check_size(size, max_bytes)
        return OpenedFile(open(source, "rb"), size, owned=True)  # noqa: SIM115 - closed by OpenedFile
    if isinstance(source, (bytes, bytearray, memoryview)):
        _check_size(len(source), max_bytes)
        return OpenedFile(io.BytesIO(bytes(source)), len(source), owned=True)
    if isinstance(source, io.TextIOBase):
        raise TypeError("ledger files must be opened in binary mode ('rb')")
    if isinstance(source, io.IOBase) and source.seekable():
        source.seek(0, io.SEEK_END)
        size = source.tell()
        _check_size(size, max_bytes)
        source.seek(0)
        return OpenedFile(source, size, owned=False)
    # Pipes and file-likes that are not io streams (e.g. a web framework's upload wrapper) are copied
    # into a temporary file first, counting bytes against the limit as they come.
    declared = getattr(source, "size", None)
    if isinstance(declared, int):
        _check_size(declared, max_bytes)
    return _spool(source, max_bytes)


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise LedgerFileError(f"the file is {size_text(size)}, more than the limit of {size_text(max_bytes)}")


def _spool(stream: IO[bytes], max_bytes: int) -> OpenedFile:
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - owned
    size = 0
    if hasattr(stream, "seek") and getattr(stream, "seekable", lambda: True)():
        stream.seek(0)
    while chunk := stream.read(_CHUNK):
        if isinstance(chunk, str):
            spool.close()
            raise TypeError("ledger files must be opened in binary mode ('rb')")
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise LedgerFileError(f"the file is more than the limit of {size_text(max_bytes)}")
        spool.write(chunk)
    spool.seek(0)
    return OpenedFile(spool, size, owned=True)  # type: ignore[arg-type]


def sniff_format(opened: OpenedFile) -> str:
    """'xlsx' or 'csv', from the first bytes; refuses empty files and formats we cannot read."""
    if opened.size == 0:
        raise LedgerFileError("the file is empty")
    opened.file.seek(0)
    head = opened.file.read(8)
    opened.file.seek(0)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_EMPTY_ZIP_MAGIC):
        raise LedgerFileError("the file is an empty ZIP archive, not an XLSX workbook")
    if head.startswith(_OLE_MAGIC):
        raise LedgerFileError("old Excel .xls files are not accepted: save the sheet as .xlsx or CSV")
    return "csv"


# --- CSV --------------------------------------------------------------------------------------------


def detect_csv_encoding(opened: OpenedFile) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030', decided from every byte of the file (see module docstring)."""
    f = opened.file
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LedgerFileError("UTF-16/UTF-32 text is not accepted: save the file as CSV UTF-8 or as XLSX")
    bad = _first_decode_error(f, "utf-8")
    if bad is None:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    offset, line, utf8_evidence = bad
    if utf8_evidence >= _UTF8_EVIDENCE_BYTES:
        raise LedgerFileError(
            f"the file mixes text encodings: it is UTF-8 up to line {line}, then has a byte that is "
            f"not UTF-8 (byte offset {offset}); save the whole file in one encoding"
        )
    if _first_decode_error(f, "gb18030") is None:
        return "gb18030"
    raise LedgerFileError(
        f"unreadable encoding: the file is neither UTF-8 nor GBK/GB18030 text (first bad byte at line "
        f"{line}, byte offset {offset}); save it as CSV UTF-8 or as XLSX"
    )


def _first_decode_error(f: IO[bytes], encoding: str) -> tuple[int, int, int] | None:
    """None if all of `f` decodes; else (byte offset, line, bytes of multi-byte characters before it).

    The last figure is the evidence that the text before the error really was UTF-8: a GBK file can
    look like a character or two of valid UTF-8 by chance, never like many.
    """
    f.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = lines = evidence = 0
    while True:
        chunk = f.read(_CHUNK)
        if b"\x00" in chunk:
            at = offset + chunk.index(b"\x00")
            raise LedgerFileError(
                f"the file contains NUL bytes (byte offset {at}): it is binary or UTF-16 text, not a "
                f"CSV in UTF-8 or GBK; save it as CSV UTF-8 or as XLSX"
            )
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            # The incremental decoder may hold up to 3 bytes of the previous chunk; close enough.
            before = chunk[: max(error.start, 0)]
            evidence += len(before) - len(before.decode(encoding, "ignore"))
            f.seek(0)
            return offset + len(before), lines + before.count(b"\n") + 1, evidence
        if not chunk:
            f.seek(0)
            return None
        if evidence < _UTF8_EVIDENCE_BYTES:
            evidence += len(chunk) - len(text)
        lines += chunk.count(b"\n")
        offset += len(chunk)


@contextlib.contextmanager
def csv_records(opened: OpenedFile, encoding: str) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(row number, cells) for every record; the row number counts records as a spreadsheet shows them."""
    opened.file.seek(0)
    text = io.TextIOWrapper(opened.file, encoding=encoding, errors="strict", newline="")
    try:
        yield _split_records(text)
    finally:
        if opened.owned:
            text.close()
        else:
            text.detach()


def _split_records(text: IO[str]) -> Iterator[tuple[int, list[str]]]:
    """Comma-separated records, as `csv.reader` (Excel dialect) reads them, but faster.

    A line without a double quote is split on commas (exactly what csv.reader does with it); a line
    with one goes to a real csv.reader, which pulls the following lines when a quoted cell spans lines.
    """
    lines = iter(text)
    pushed_back: list[str] = []

    def feed() -> Iterator[str]:
        while True:
            if pushed_back:
                yield pushed_back.pop()
            else:
                line = next(lines, None)
                if line is None:
                    return
                yield line

    quoted = csv.reader(feed())
    for row, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise LedgerFileError(f"row {row} is longer than {MAX_LINE_CHARS:,} characters")
        if '"' in line:
            pushed_back.append(line)
            yield row, next(quoted)
        else:
            yield row, line.rstrip("\r\n").split(",")


# --- XLSX -------------------------------------------------------------------------------------------


def check_zip(opened: OpenedFile, *, max_uncompressed_bytes: int, max_compression_ratio: float) -> None:
    """Refuse a zip that is not a workbook, or that would inflate too much (zip bomb), before openpyxl."""
    opened.file.seek(0)
    try:
        with zipfile.ZipFile(opened.file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise LedgerFileError(f"the file looks like XLSX (a ZIP archive) but is damaged: {error}") from None
    finally:
        opened.file.seek(0)
    if len(members) > _MAX_ZIP_MEMBERS:
        raise LedgerFileError(f"the XLSX archive has {len(members):,} parts; a workbook never has that many")
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise LedgerFileError("the file is a ZIP archive but not an XLSX workbook (no xl/workbook.xml)")
    total = sum(m.file_size for m in members)
    if total > max_uncompressed_bytes:
        raise LedgerFileError(
            f"the XLSX file would expand to {size_text(total)}, more than the limit of "
            f"{size_text(max_uncompressed_bytes)}"
        )
    for member in members:
        if member.file_size > _RATIO_MIN_MEMBER_SIZE and member.file_size > max_compression_ratio * max(
            member.compress_size, 1
        ):
            ratio = member.file_size // max(member.compress_size, 1)
            raise LedgerFileError(
                f"the XLSX part {member.filename} is compressed {ratio:,} to 1, more than "
                f"{max_compression_ratio:g} to 1: refused as a possible zip bomb"
            )


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
def xlsx_records(opened: OpenedFile) -> Iterator[Iterator[tuple[int, list[Any]]]]:
    """(sheet row number, cell texts) of the first worksheet; a formula cell lacking a cached value is
    FORMULA_WITHOUT_VALUE in its place.

    openpyxl's `load_workbook(read_only=True, data_only=True)` minus its last step: that step scans every
    sheet in full for its size when the sheet does not state it, so here only the workbook parts
    (strings, styles, sheet list) are loaded and the first worksheet is parsed once, with openpyxl's
    own sheet parser (openpyxl 3.1 has no public hook for a formula without a cached value).
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

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
        reader = ExcelReader(opened.file, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise LedgerFileError(f"the XLSX file cannot be opened: {error}") from None
    try:
        try:
            reader.read_manifest()
            reader.read_strings()
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
        except Exception as error:
            raise LedgerFileError(f"the XLSX file cannot be opened: {error}") from None
        if sheet_path is None:
            raise LedgerFileError("the XLSX file has no worksheet")
        with reader.archive.open(sheet_path) as xml:
            parser = _Parser(
                xml,
                reader.shared_strings,
                data_only=True,
                epoch=reader.wb.epoch,
                date_formats=reader.wb._date_formats,
                timedelta_formats=reader.wb._timedelta_formats,
            )
            yield _xlsx_rows(parser)
    finally:
        reader.archive.close()


def _xlsx_rows(parser: Any) -> Iterator[tuple[int, list[Any]]]:
    row_number = 0
    try:
        for row_number, cells in parser.parse():  # noqa: B007 - read after the loop for the error
            if not cells:
                continue
            record: list[Any] = [""] * max(cell["column"] for cell in cells)
            for cell in cells:
                record[cell["column"] - 1] = cell_text(cell["value"])
            yield row_number, record
    except LedgerFileError:
        raise
    except Exception as error:  # damaged sheet XML
        raise LedgerFileError(f"after row {row_number}: the XLSX sheet cannot be read ({error})") from None
