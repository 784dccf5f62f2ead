"""Untrusted ledger files in, records (row number, cell texts) out (SPEC §6, STYLE "Untrusted files").

The caps and the capped readers live in ``portal.uploads`` (one module for every untrusted file): size
before anything is read, type from the content, the CSV line/record/cell/column caps checked while
reading, the XLSX central directory and the actual decompressed bytes checked against the unpacked-size
caps. This module adds what is particular to ledgers:

- CSV encoding is decided by one pass over all the bytes before any row is parsed (about 0.25 s per
  100 MB): strict UTF-8 (BOM or not); failing that GB18030 (a superset of GBK, what a Chinese Excel
  writes), unless plenty of valid non-ASCII UTF-8 came before the first bad byte, in which case the
  file mixes encodings and is refused; failing both, it is refused. So a GBK byte late in a file is
  found before any row is handed out, never after.
- ``as_ledger_error``: a refusal of ``portal.uploads`` as the readers' ``LedgerFileError``.
"""

from __future__ import annotations

import codecs
from typing import IO

from portal.uploads import (
    DEFAULT_LIMITS,
    FORMULA_WITHOUT_VALUE,
    OpenedFile,
    Source,
    UploadError,
    UploadLimits,
    cell_text,
    check_zip,
    csv_records,
    open_source,
    xlsx_records,
)
from portal.uploads import sniff_spreadsheet as sniff_format

from .errors import LedgerFileError, RowError

DEFAULT_MAX_BYTES = DEFAULT_LIMITS.max_file_bytes
DEFAULT_MAX_UNCOMPRESSED_BYTES = DEFAULT_LIMITS.xlsx_max_unpacked_bytes
DEFAULT_MAX_COMPRESSION_RATIO = DEFAULT_LIMITS.xlsx_max_compression_ratio
_CHUNK = 1024 * 1024
_UTF8_EVIDENCE_BYTES = 16

__all__ = [
    "DEFAULT_LIMITS",
    "FORMULA_WITHOUT_VALUE",
    "OpenedFile",
    "Source",
    "UploadLimits",
    "as_ledger_error",
    "cell_text",
    "check_zip",
    "csv_records",
    "detect_csv_encoding",
    "open_source",
    "sniff_format",
    "xlsx_records",
]


def as_ledger_error(error: UploadError) -> LedgerFileError:
    """A refused upload as a LedgerFileError whose one error names the row and column when known."""
    return LedgerFileError(str(error), [RowError(error.row, error.column, str(error))])


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
