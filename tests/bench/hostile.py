"""Hostile upload files, written as a stream (so a 200 MB one costs the writer no memory): a CSV with one
quoted cell spanning millions of lines, a CSV with one endless line, and an XLSX whose shared-strings
table inflates to hundreds of megabytes (issue 10, finding 4). Used by the benchmark and the tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_BLOCK = 1 << 20

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
    f'"/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
    f' ContentType="{CT}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
    f'"{CT}.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
    f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet '
    'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
    f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    f'Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def write_shared_strings_xlsx(
    target, rows: list[list[str]], *, extra_strings: int = 0, unique_strings: int = 0
) -> None:
    """An XLSX whose cells are all shared strings, plus ``extra_strings`` unused tiny ones (the bomb,
    compressing a thousand to one) and ``unique_strings`` distinct ones (compressing only a few to one)."""
    strings: dict[str, int] = {}
    sheet = io.StringIO()
    sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>')
    for r, row in enumerate(rows, 1):
        sheet.write(f'<row r="{r}">')
        for c, value in enumerate(row):
            index = strings.setdefault(value, len(strings))
            sheet.write(f'<c r="{_column(c)}{r}" t="s"><v>{index}</v></c>')
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            total = len(strings) + extra_strings + unique_strings
            out.write(
                f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" uniqueCount="{total}">'.encode()
            )
            out.write("".join(f"<si><t>{escape(s)}</t></si>" for s in strings).encode())
            for block in _blocks(extra_strings):
                out.write(block)
            for start in range(0, unique_strings, 50_000):
                stop = min(start + 50_000, unique_strings)
                out.write(
                    "".join(f"<si><t>s{n * 7919 % 10_000_019}</t></si>" for n in range(start, stop)).encode()
                )
            out.write(b"</sst>")


def _blocks(count: int) -> Iterable[bytes]:
    block = b"<si><t>x</t></si>" * 50_000
    whole, rest = divmod(count, 50_000)
    for _ in range(whole):
        yield block
    yield b"<si><t>x</t></si>" * rest


def shared_strings_xlsx(rows: list[list[str]], *, extra_strings: int = 0) -> bytes:
    buffer = io.BytesIO()
    write_shared_strings_xlsx(buffer, rows, extra_strings=extra_strings)
    return buffer.getvalue()


def write_quoted_field_csv(path: Path, header: str, first_cells: str, size: int) -> None:
    """A CSV whose second row opens a quoted cell that runs over ``size`` bytes of short lines."""
    with path.open("wb") as out:
        out.write(f'{header}\n{first_cells},"'.encode())
        line = b"a line of a cell that never ends\n"
        block = line * (_BLOCK // len(line))
        for _ in range(size // len(block)):
            out.write(block)
        out.write(b'"\n')


def write_long_line_csv(path: Path, header: str, size: int) -> None:
    """A CSV whose second line is ``size`` bytes without a line break."""
    with path.open("wb") as out:
        out.write(f"{header}\n".encode())
        block = b"x" * _BLOCK
        for _ in range(size // _BLOCK):
            out.write(block)
        out.write(b"\n")
