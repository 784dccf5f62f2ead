"""Inbound order services: create, submit, advance, receive, complete (SPEC §5). Every state change of
an order goes through here, inside a transaction, and leaves an ``OrderEvent``."""

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.catalog.compliance import active_rules, missing_for
from inventory.inbound import workflow
from inventory.inbound.estimate import estimate_order
from inventory.models import (
    InboundCarton,
    InboundLine,
    InboundOrder,
    OrderDocument,
    OrderEvent,
    ReceivingDiscrepancy,
    Sku,
    StockLevel,
    destination_of,
)
from portal.emails import send_templated_email
from portal.models import Seller, SellerUser, Warehouse

S = InboundOrder.State
# What ops may record at each step (and nothing else).
STEP_FIELDS = {
    S.IN_TRANSIT: ("carrier", "tracking_number", "etd", "eta"),
    S.EXPORT_CLEARED: ("export_declaration_no",),
    S.IMPORT_CLEARED: ("import_declaration_no", "duties_paid", "duties_currency"),
    S.ON_HOLD: ("hold_reason",),
}


@dataclass(frozen=True)
class LineInput:
    sku: Sku
    units: int
    batch_no: str = ""


@dataclass(frozen=True)
class CartonInput:
    length_mm: int
    width_mm: int
    height_mm: int
    gross_weight_kg: object
    lines: tuple[LineInput, ...] = field(default_factory=tuple)


def new_order_number(now) -> str:
    return f"IB{now:%y%m%d}-{secrets.token_hex(3).upper()}"


def create_order(
    *, seller: Seller, user, warehouse: Warehouse, cartons: list[CartonInput], now=None, **fields
) -> InboundOrder:
    """A draft order with its cartons; every SKU must be the seller's own."""
    now = now or timezone.now()
    with transaction.atomic():
        order = InboundOrder.objects.create(
            seller=seller, warehouse=warehouse, created_by=user, number=new_order_number(now), **fields
        )
        replace_cartons(order=order, cartons=cartons)
        OrderEvent.objects.create(
            order=order, to_state=S.DRAFT, actor=user, actor_role=workflow.SELLER, at=now
        )
    return order


def carton_groups(keys) -> list[list]:
    """Consecutive equal keys as groups: the order's lines as the seller entered them (N identical
    cartons of one SKU)."""
    groups: list[list] = []
    for key in keys:
        if groups and groups[-1][0] == key:
            groups[-1].append(key)
        else:
            groups.append([key])
    return groups


def size_problems(*, lines: int, cartons: int) -> list[str]:
    """Why an order is too large for one shipment (issue 10: bounded work per order)."""
    problems = []
    if lines > settings.INBOUND_MAX_LINES:
        problems.append(
            _("An order has at most %(limit)d lines (groups of identical cartons); this one has %(count)d.")
            % {"limit": settings.INBOUND_MAX_LINES, "count": lines}
        )
    if cartons > settings.INBOUND_MAX_CARTONS:
        problems.append(
            _("An order has at most %(limit)d cartons; this one has %(count)d.")
            % {"limit": settings.INBOUND_MAX_CARTONS, "count": cartons}
        )
    return problems


def carton_input_key(carton: CartonInput) -> tuple:
    return (
        carton.length_mm,
        carton.width_mm,
        carton.height_mm,
        carton.gross_weight_kg,
        tuple((line.sku.pk, line.units, line.batch_no) for line in carton.lines),
    )


def replace_cartons(*, order: InboundOrder, cartons: list[CartonInput]) -> None:
    if order.state != S.DRAFT:
        raise ValidationError(_("Only a draft order's cartons can change."))
    problems = size_problems(lines=len(carton_groups(map(carton_input_key, cartons))), cartons=len(cartons))
    too_many_units = next(
        (
            line
            for carton in cartons
            for line in carton.lines
            if line.units > settings.INBOUND_MAX_UNITS_PER_CARTON
        ),
        None,
    )
    if too_many_units is not None:
        problems.append(
            _("A carton holds at most %(limit)d units; %(count)d given for SKU %(sku)s.")
            % {
                "limit": settings.INBOUND_MAX_UNITS_PER_CARTON,
                "count": too_many_units.units,
                "sku": too_many_units.sku.code,
            }
        )
    if problems:
        raise ValidationError(problems)
    for carton in cartons:
        for line in carton.lines:
            if line.sku.seller_id != order.seller_id:
                raise ValidationError(_("SKU %(sku)s is not yours.") % {"sku": line.sku.code})
    order.cartons.all().delete()
    rows = InboundCarton.objects.bulk_create(
        InboundCarton(
            order=order,
            index=index,
            carton_id=f"{order.number}-C{index:03d}",
            length_mm=carton.length_mm,
            width_mm=carton.width_mm,
            height_mm=carton.height_mm,
            gross_weight_kg=carton.gross_weight_kg,
        )
        for index, carton in enumerate(cartons, start=1)
    )
    InboundLine.objects.bulk_create(
        InboundLine(carton=row, sku=line.sku, units=line.units, batch_no=line.batch_no)
        for row, carton in zip(rows, cartons, strict=True)
        for line in carton.lines
    )


def order_size(order: InboundOrder) -> tuple[int, int]:
    """(lines, cartons) of a stored order, counted as the seller entered them."""
    keys = {}
    for carton_pk, *key in InboundLine.objects.filter(carton__order=order).values_list(
        "carton_id", "sku_id", "units", "batch_no"
    ):
        keys.setdefault(carton_pk, []).append(tuple(key))
    cartons = order.cartons.order_by("index").values_list(
        "pk", "length_mm", "width_mm", "height_mm", "gross_weight_kg"
    )
    return (
        len(carton_groups((*dims, tuple(keys.get(pk, ()))) for pk, *dims in cartons)),
        len(cartons),
    )


def submission_problems(order: InboundOrder, *, today) -> list[str]:
    """Why the order cannot be submitted: cartons without goods, and each SKU's missing compliance items."""
    lines, carton_count = order_size(order)
    problems = size_problems(lines=lines, cartons=carton_count)
    if problems:  # a second line of defence behind the form: an oversized order is not even checked
        return problems
    cartons = list(order.cartons.prefetch_related("lines__sku__certificates"))
    if not cartons:
        problems.append(_("The order has no cartons."))
    destination = destination_of(order.warehouse.country)
    rules = active_rules()
    checked: set[int] = set()
    for carton in cartons:
        lines = list(carton.lines.all())
        if not lines:
            problems.append(_("Carton %(n)d holds no SKU.") % {"n": carton.index})
        for line in lines:
            if line.sku_id in checked:
                continue
            checked.add(line.sku_id)
            for missing in missing_for(line.sku, destination, rules=rules, today=today):
                problems.append(
                    _("SKU %(sku)s lacks %(what)s for %(destination)s.")
                    % {"sku": line.sku.code, "what": missing.label, "destination": destination}
                )
    return problems


def submit_order(*, order: InboundOrder, user, now=None) -> InboundOrder:
    """Validate compliance and cartons, keep the estimate, and move the draft to submitted."""
    now = now or timezone.now()
    with transaction.atomic():
        order = InboundOrder.objects.select_for_update().get(pk=order.pk)
        workflow.find_transition(order, S.SUBMITTED, workflow.SELLER)
        problems = submission_problems(order, today=timezone.localdate(now))
        if problems:
            raise ValidationError(problems)
        order.estimate = estimate_order(order, today=timezone.localdate(now))
        order.save(update_fields=["estimate", "updated_at"])
        snapshot_lines(order=order, now=now)
        order = _move(order, S.SUBMITTED, user=user, role=workflow.SELLER, now=now)
        transaction.on_commit(lambda: request_documents(order=order))
        return order


def snapshot_lines(*, order: InboundOrder, now) -> int:
    """Copy onto the order's lines what the documents print of each SKU (issue 10, finding 7): a later
    SKU edit no longer changes a submitted order's documents."""
    sku = Sku.objects.filter(pk=OuterRef("sku_id"))
    copies = {
        ("sku_code" if name == "code" else name): Subquery(sku.values(name)[:1])
        for name in InboundLine.SNAPSHOT_FIELDS
    }
    return InboundLine.objects.filter(carton__order=order).update(
        snapshot_at=now, origin_country=order.seller.country, **copies
    )


def request_documents(*, order: InboundOrder, kinds=None) -> list[OrderDocument]:
    """The order's documents at their current content version, queued for a worker when not rendered
    yet (on submission and on demand). Idempotent: one row per order, kind, language and version."""
    from inventory.inbound import documents

    if order.state in (S.DRAFT, S.CANCELLED):
        return []
    language = documents.document_language(order)
    # The order page polls this while documents render: the version of a submitted order (its lines are
    # copies) is kept a minute rather than recomputed from every carton on each poll.
    key = f"inbound-documents-version:{order.pk}:{order.updated_at.timestamp()}"
    version = cache.get(key)
    if version is None:
        version = documents.content_version(documents.load_order(order))
        cache.set(key, version, 60)
    found = []
    for kind in kinds or OrderDocument.Kind.values:
        document, created = OrderDocument.objects.get_or_create(
            order=order, kind=kind, language=language, version=version
        )
        if created:
            transaction.on_commit(lambda pk=document.pk: _enqueue_render(pk))
        found.append(document)
    return found


def _enqueue_render(document_id: int) -> None:
    from inventory.tasks import render_order_document_task

    render_order_document_task.delay(document_id)


def advance_order(
    *, order: InboundOrder, target: str, user, role: str, comment: str = "", data=None, now=None
) -> InboundOrder:
    """Any other step: cancel (seller), ops steps with what they record, hold and release, completion."""
    now = now or timezone.now()
    data = dict(data or {})
    with transaction.atomic():
        order = InboundOrder.objects.select_for_update().get(pk=order.pk)
        transition = workflow.find_transition(order, target, role)
        if target == S.SUBMITTED:
            raise workflow.TransitionError("Use submit_order: submission checks compliance first.")
        allowed = STEP_FIELDS.get(target, ())
        unexpected = set(data) - set(allowed)
        if unexpected:
            raise ValidationError(
                _("Not recorded at this step: %(fields)s") % {"fields": ", ".join(sorted(unexpected))}
            )
        for name, value in data.items():
            setattr(order, name, value)
        missing = [name for name in transition.requires if not getattr(order, name)]
        if missing:
            labels = ", ".join(str(InboundOrder._meta.get_field(name).verbose_name) for name in missing)
            raise ValidationError(_("Record %(fields)s first.") % {"fields": labels})
        if target == S.ON_HOLD:
            order.held_state = order.state
        elif order.state == S.ON_HOLD:
            order.held_state, order.hold_reason = "", ""
        if target == S.COMPLETED:
            _complete(order)
        order.save()
        return _move(
            order,
            target,
            user=user,
            role=role,
            now=now,
            comment=comment,
            data={k: str(v) for k, v in data.items()},
        )


def record_receiving(
    *, order: InboundOrder, carton_id: str, counts: dict[int, tuple[int, int]], user, now=None
) -> InboundCarton:
    """Ops count a scanned carton: per line, units received in good order and units damaged."""
    now = now or timezone.now()
    with transaction.atomic():
        order = InboundOrder.objects.select_for_update().get(pk=order.pk)
        if order.state != S.RECEIVING:
            raise ValidationError(_("Cartons are counted while the order is receiving."))
        try:
            carton = order.cartons.get(carton_id=carton_id.strip())
        except InboundCarton.DoesNotExist as exc:
            raise ValidationError(
                _("Carton %(id)s is not part of order %(order)s.") % {"id": carton_id, "order": order.number}
            ) from exc
        lines = {line.pk: line for line in carton.lines.all()}
        if set(counts) != set(lines):
            raise ValidationError(_("Count every line of carton %(id)s.") % {"id": carton.carton_id})
        for pk, (received, damaged) in counts.items():
            if received < 0 or damaged < 0:
                raise ValidationError(_("Counts cannot be negative."))
            line = lines[pk]
            line.received_units, line.damaged_units = received, damaged
            line.save(update_fields=["received_units", "damaged_units"])
        carton.received_at = now
        carton.save(update_fields=["received_at"])
    return carton


def _complete(order: InboundOrder) -> None:
    """Received units become available stock; every difference is recorded as a discrepancy."""
    lines = list(InboundLine.objects.filter(carton__order=order).select_related("sku"))
    uncounted = [line for line in lines if not line.counted]
    if uncounted:
        cartons = sorted({line.carton.carton_id for line in uncounted})
        raise ValidationError(_("Count these cartons first: %(cartons)s") % {"cartons": ", ".join(cartons)})
    for line in lines:
        level, _created = StockLevel.objects.get_or_create(
            seller=order.seller, warehouse=order.warehouse, sku=line.sku
        )
        StockLevel.objects.filter(pk=level.pk).update(
            available_units=F("available_units") + line.received_units
        )
        differences = {
            ReceivingDiscrepancy.Kind.DAMAGED: line.damaged_units or 0,
            ReceivingDiscrepancy.Kind.SHORT: max(0, line.missing_units),
            ReceivingDiscrepancy.Kind.OVER: max(0, -line.missing_units),
        }
        for kind, units in differences.items():
            if units:
                ReceivingDiscrepancy.objects.create(order=order, line=line, kind=kind, units=units)


def _move(
    order: InboundOrder, target: str, *, user, role: str, now, comment: str = "", data=None
) -> InboundOrder:
    source = order.state
    order.state = target
    order.save(update_fields=["state", "updated_at"])
    event = OrderEvent.objects.create(
        order=order,
        from_state=source,
        to_state=target,
        actor=user,
        actor_role=role,
        comment=comment,
        data=data or {},
        at=now,
    )
    notify_seller(order=order, event=event)
    return order


def notify_seller(*, order: InboundOrder, event: OrderEvent) -> None:
    recipients = list(
        SellerUser.objects.filter(seller=order.seller, user__is_active=True)
        .exclude(role=SellerUser.Role.FINANCE)
        .values_list("user__email", flat=True)
    )
    if recipients:
        send_templated_email(
            to=recipients,
            template="order_event",
            language=order.seller.language,
            context={
                "order": order,
                "event": event,
                "discrepancies": list(order.discrepancies.select_related("line__sku")),
            },
        )
