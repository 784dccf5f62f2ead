"""The fee engine over a synthetic month: 1,000,000 stock rows and 200,000 parcels (issue 4 target:
the whole month in under 20 s and under 500 MB). Each case runs in a fresh process for its peak RSS."""

import multiprocessing
import resource
import time
from datetime import date
from decimal import Decimal

STOCK_ROWS = 1_000_000
PARCELS = 200_000
ITEMS = STOCK_ROWS // 30  # 30 days of June


def synthetic_month():
    from tariffs.rules import Parcel, Period, StockDay

    period = Period(2016, 6)
    days = [date(2016, 6, d) for d in range(1, 31)]
    volumes = [Decimal(f"0.{n % 997:04d}") for n in range(1000)]

    def stock():
        for item in range(ITEMS):
            item_id = f"ITEM{item:06d}"
            for i, day in enumerate(days):
                yield StockDay(
                    business_date=day,
                    item_id=item_id,
                    stock_qty=50 + item % 40,
                    sales_qty=(item + i) % 3,
                    volume_m3=volumes[(item + i) % 1000],
                    ref=item * 30 + i,
                )

    def parcels():
        weights = [Decimal(n) / 10 for n in range(1, 300)]
        for n in range(PARCELS):
            yield Parcel(order_no=f"LP{n:08d}", weight_kg=weights[n % 299], sku_kinds=1 + n % 7, ref=n)

    return period, stock, parcels


def run_case(card_code: str, queue) -> None:
    import django

    django.setup()
    from tariffs.engine import MonthFacts, compute_invoice
    from tariffs.models import RateCard
    from tariffs.selectors import rule_specs

    card = RateCard.objects.get(code=card_code)
    specs = [spec for spec in rule_specs(card.versions.get(version=1)) if spec.kind != "per_unit"]
    period, stock, parcels = synthetic_month()
    start = time.perf_counter()
    facts = MonthFacts(period=period, ledgers={"stock": stock(), "outbound": parcels()})
    computation = compute_invoice(facts, specs, currency=card.currency)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((elapsed, peak_mb, len(computation.lines), computation.totals.total))


def receive(queue, process, timeout: float = 900):
    """The child's result; a child that died says so instead of leaving the bench waiting."""
    import queue as queues

    while True:
        try:
            value = queue.get(timeout=5)
        except queues.Empty:
            if not process.is_alive():
                raise RuntimeError(f"benchmark process exited with code {process.exitcode}") from None
            timeout -= 5
            if timeout <= 0:
                process.kill()
                raise RuntimeError("benchmark process took too long") from None
            continue
        process.join()
        return value


def run() -> list[tuple[str, str, str]]:
    rows = []
    context = multiprocessing.get_context("spawn")
    for card in ("cainiao-bonded", "cainiao-overseas"):
        queue = context.Queue()
        process = context.Process(target=run_case, args=(card, queue))
        process.start()
        elapsed, peak_mb, lines, total = receive(queue, process)
        rate = (STOCK_ROWS + PARCELS) / elapsed
        verdict = "ok" if elapsed < 20 and peak_mb < 500 else "OVER TARGET (20 s, 500 MB)"
        rows.append(
            (
                f"engine month {card} (1M stock + 200k parcels)",
                f"{elapsed:.1f} s",
                f"{rate:,.0f} rows/s, peak {peak_mb:.0f} MB, {lines} lines, total {total}; {verdict}",
            )
        )
    return rows
