"""Documents of the largest allowed order (issue 10): 5,000 cartons rendered on a worker. The labels
render in chunks of DOCUMENT_LABELS_PER_CHUNK merged with pypdf (target: peak under 1 GB); the packing
list of the same order is measured too. Each case runs in a fresh process for its own peak RSS."""

import multiprocessing
import resource
import time
from decimal import Decimal

from tests.bench.bench_ledger_import import receive

CARTONS = 5000


def setup_order(queue) -> None:
    """An order of 5,000 cartons in 50 lines of 100 cartons, submitted, its documents queued (not sent)."""
    import django

    django.setup()
    from django.conf import settings

    from inventory.inbound import services
    from inventory.models import InboundOrder, Sku
    from portal.models import Operator, Seller, Warehouse

    assert settings.INBOUND_MAX_CARTONS >= CARTONS
    services._enqueue_render = lambda document_id: None  # the bench renders them itself
    operator, _ = Operator.objects.get_or_create(code="bench-op", defaults={"name": "Bench", "country": "CN"})
    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCH-LABELS",
        defaults={"name": "Bench labels", "country": "CN", "operator": operator, "currency": "CNY"},
    )
    seller, _ = Seller.objects.get_or_create(
        code="bench-labels",
        defaults={"name": "Bench labels seller", "legal_name": "Bench"},
    )
    existing = InboundOrder.objects.filter(seller=seller, state="submitted").order_by("-pk").first()
    if (
        existing is not None and existing.cartons.count() == CARTONS
    ):  # reuse it: only the rendering is measured
        existing.documents.all().delete()
        queue.put((None, {d.kind: d.pk for d in services.request_documents(order=existing)}))
        return
    InboundOrder.objects.filter(seller=seller).delete()
    skus = []
    for n in range(50):
        sku, _ = Sku.objects.get_or_create(
            seller=seller,
            code=f"BENCH-{n:02d}",
            defaults={
                "name_zh": f"收纳盒 {n}",
                "name_en": f"Storage box {n}",
                "name_ja": f"収納ボックス {n}",
                "hs_code": "392490",
                "declared_value": Decimal("12.50"),
                "net_weight_g": Decimal(350),
                "length_mm": 300,
                "width_mm": 200,
                "height_mm": 100,
                "fnsku": f"X00BENCH{n:02d}",
            },
        )
        skus.append(sku)
    cartons = []
    for n, sku in enumerate(skus):
        line = services.LineInput(sku, 20, f"B{n:02d}")
        cartons.extend(
            [services.CartonInput(600, 400, 420, Decimal("12.40"), (line,))] * (CARTONS // len(skus))
        )
    start = time.perf_counter()
    order = services.create_order(seller=seller, user=None, warehouse=warehouse, cartons=cartons)
    order = services.submit_order(order=order, user=None)
    created = time.perf_counter() - start
    documents = {d.kind: d.pk for d in services.request_documents(order=order)}
    queue.put((created, documents))


def render(document_id: int, queue) -> None:
    import django

    django.setup()
    from inventory.inbound.documents import render_order_document

    start = time.perf_counter()
    document = render_order_document(document_id)
    elapsed = time.perf_counter() - start
    assert document.status == "ready", document.error
    size = document.file.size
    document.file.delete(save=False)
    queue.put(
        (elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, document.pages_total, size)
    )


def in_process(function, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=function, args=(*args, queue))
    process.start()
    return receive(queue, process, timeout=1800)


def run() -> list[tuple[str, str, str]]:
    from django.conf import settings

    created, documents = in_process(setup_order)
    rows = []
    if created is not None:
        rows.append(
            (f"order of {CARTONS:,} cartons: create + submit", f"{created:.1f} s", "bulk insert, snapshot")
        )
    elapsed, peak, labels, size = in_process(render, documents["labels"])
    verdict = "ok" if peak < 1024 else "OVER TARGET (1 GB)"
    rows.append(
        (
            f"carton labels PDF, {labels:,} labels (worker)",
            f"{elapsed:.1f} s",
            f"peak {peak:.0f} MB, {size / 2**20:.1f} MB file, "
            f"{settings.DOCUMENT_LABELS_PER_CHUNK} per chunk; {verdict}",
        )
    )
    elapsed, peak, _, size = in_process(render, documents["packing-list"])
    verdict = "ok" if peak < 1024 else "OVER TARGET (1 GB)"
    rows.append(
        (
            f"packing list PDF, {CARTONS:,} cartons (worker)",
            f"{elapsed:.1f} s",
            f"peak {peak:.0f} MB, {size / 2**20:.1f} MB file, "
            f"{settings.DOCUMENT_PACKING_LIST_CARTONS_PER_CHUNK} cartons per part; {verdict}",
        )
    )
    return rows


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    for row in run():
        print(*row, sep="  |  ")
