"""Refusing hostile uploads (issue 10, finding 4): each 200 MB file goes through the ledger upload
service (``create_upload`` + ``import_ledger_file``, as the worker runs it) in a fresh process; the
target is a peak under 300 MB. Before the caps a 208 MB CSV with one quoted multi-line cell reached
2.9 GB and an XLSX with a huge shared-strings table 1.6 GB."""

import resource
import tempfile
import time
from pathlib import Path

from tests.bench.bench_ledger_import import receive, setup_world
from tests.bench.hostile import write_long_line_csv, write_quoted_field_csv, write_shared_strings_xlsx

MB = 1024 * 1024
SIZE = 200 * MB
HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,units_per_carton,sales_qty,stock_qty"
)
FIRST_CELLS = "2016-06-01,BENCH-WH,bench-seller,ITEM1,434,150,220,6,0"


def refuse(path: Path, queue) -> None:
    warehouse, _ = setup_world()
    from inventory.ledgers.imports import create_upload, import_ledger_file

    start = time.perf_counter()
    with path.open("rb") as handle:
        result = create_upload(
            uploaded=handle,
            name=path.name,
            seller=None,
            warehouse=warehouse,
            kind="stock",
            source="warehouse",
            user=None,
            enqueue=False,
        )
    ledger_file = import_ledger_file(result.ledger_file.pk)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    message = ledger_file.message
    status = ledger_file.status
    ledger_file.file.delete(save=False)
    ledger_file.delete()
    queue.put((elapsed, peak, status, message))


def measure(path: Path):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=refuse, args=(path, queue))
    process.start()
    return receive(queue, process)


def run() -> list[tuple[str, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        quoted, long_line, bomb = Path(tmp) / "quoted.csv", Path(tmp) / "line.csv", Path(tmp) / "bomb.xlsx"
        many = Path(tmp) / "many-strings.xlsx"
        write_quoted_field_csv(quoted, HEADER, FIRST_CELLS, SIZE)
        write_long_line_csv(long_line, HEADER, SIZE)
        write_shared_strings_xlsx(str(bomb), [HEADER.split(",")], extra_strings=SIZE // 17)
        # Within the size and ratio caps (60 MB, distinct strings), refused by the count while read.
        write_shared_strings_xlsx(str(many), [HEADER.split(",")], unique_strings=60 * MB // 25)
        for name, path in (
            ("refuse 200 MB CSV: one quoted multi-line cell", quoted),
            ("refuse 200 MB CSV: one 200 MB line", long_line),
            ("refuse XLSX bomb: 200 MB sharedStrings", bomb),
            ("refuse XLSX: 2.5M distinct shared strings", many),
        ):
            elapsed, peak, status, message = measure(path)
            verdict = "ok" if status == "failed" and peak < 300 else "OVER TARGET (refused, < 300 MB)"
            size = path.stat().st_size / MB
            rows.append(
                (
                    name,
                    f"peak {peak:.0f} MB",
                    f"{elapsed:.1f} s, file {size:.1f} MB; {verdict}: {message[:70]}",
                )
            )
    return rows
