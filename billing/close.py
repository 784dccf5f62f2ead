"""The monthly close (SPEC §9, issue 12): a seller's month becomes one draft invoice per contract.

``close_seller_month`` is the one service; the Celery task, the admin action, the beat schedule and
``manage.py close_period`` all call it. For each contract of the seller in force in the month:

1. the facts come from SQL over the stored warehouse-source rows in force (``inventory.ledgers.store_facts``);
2. the rate card version in force prices them (``tariffs.engine.compute_invoice``);
3. the consistency checks' findings are attached;
4. in one transaction, under a row lock on the invoice, the draft is written, or replaced, or (when nothing it
   says changed) left alone. An issued invoice is never touched.

A contract whose invoice cannot be computed (an unknown service code, a kind the card neither prices nor
lists, no version in force) is listed on the seller's ``CloseRun`` for ops; the seller's other contracts
are still closed. Rows of a service line with no contract in force are listed too.
Every write is an audit event.

Safe to run twice, at once, or to be killed: one transaction per invoice, the unique (contract, month) of a
regular invoice, and a lock on its row; a run killed in the middle leaves the invoices it committed and no
partial one, and the next run completes the rest.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from billing.models import CloseRun, Invoice, InvoiceLine
from inventory.ledgers import checks
from inventory.ledgers.kinds import KINDS
from inventory.ledgers.store_facts import month_facts
from inventory.models import LedgerFile
from portal import audit
from portal.models import Seller, ServiceLine, Warehouse
from tariffs.engine import LEDGERS, Computation, MonthFacts, compute_invoice, ledger_rows
from tariffs.models import Contract
from tariffs.rules import Period, RowSet, RuleError, StockItemMonth
from tariffs.rules import get_kind as get_rule_kind
from tariffs.selectors import NoVersionInForce, contracts_in_force, rule_specs, version_in_force

MAX_ATTEMPTS = 5

# Seconds this process spent in each phase of the close (facts, checks, engine, write, run), for the bench
# (tests/bench/bench_close.py): two clock reads per phase and contract.
PHASES: dict[str, float] = {}


@contextmanager
def _phase(name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - start


class CloseRefused(Exception):
    """The close cannot start (e.g. the month has not ended)."""


@dataclass
class ContractOutcome:
    contract: Contract
    invoice: Invoice | None = None
    written: bool = False  # a draft was written or replaced
    removed: bool = False  # a draft with no rows left was removed
    problem: dict[str, Any] | None = None


@dataclass
class CloseResult:
    run: CloseRun
    outcomes: list[ContractOutcome] = field(default_factory=list)

    @property
    def problems(self) -> list[dict[str, Any]]:
        return self.run.problems


def parse_period(text: str) -> Period:
    return Period.parse(text)


def period_of(day: date) -> Period:
    return Period(day.year, day.month)


def sellers_to_close(period: Period) -> list[Seller]:
    """Sellers with a contract in force in the month or warehouse rows dated in it."""
    with_contract = Contract.objects.filter(contracts_in_force(period)).values("seller_id")
    ids = set(with_contract.values_list("seller_id", flat=True))
    for kind in KINDS.values():
        rows = kind.model.objects.filter(
            source=LedgerFile.Source.WAREHOUSE,
            is_current=True,
            **{f"{kind.date_field}__gte": period.first_day, f"{kind.date_field}__lt": period.next_first_day},
        )
        ids.update(rows.order_by().values_list("seller_id", flat=True).distinct())
    return list(Seller.objects.filter(pk__in=ids).order_by("code"))


def close_seller_month(
    *, seller: Seller, period: Period, by=None, task_id: str = "", now: datetime | None = None
) -> CloseResult:
    """Close ``seller``'s ``period``: one draft per contract in force (see the module's text)."""
    now = now or timezone.now()
    with _phase("run"):
        run = _start_run(seller, period, by=by, task_id=task_id, now=now)
        result = CloseResult(run=run)
        contracts = list(
            Contract.objects.filter(contracts_in_force(period), seller=seller)
            .select_related("rate_card", "service_line__warehouse__operator")
            .order_by("service_line__warehouse__code", "service_line__code", "pk")
        )
    with _phase("facts"):
        inputs = month_inputs(seller.pk, period)
    for contract in contracts:
        result.outcomes.append(_close_contract(contract, period, inputs, by=by, task_id=task_id, now=now))
    with _phase("run"):
        return _finish_run(result, seller, period, contracts, inputs, by=by, task_id=task_id, now=now)


def _finish_run(
    result: CloseResult,
    seller: Seller,
    period: Period,
    contracts: list[Contract],
    inputs: dict[tuple, int],
    *,
    by,
    task_id: str,
    now,
) -> CloseResult:
    run = result.run
    problems = [outcome.problem for outcome in result.outcomes if outcome.problem]
    problems.extend(_rows_without_contract(period, contracts, inputs))
    run.status = CloseRun.Status.FAILED if problems else CloseRun.Status.DONE
    run.problems = problems
    run.finished_at = timezone.now()
    run.drafts_written = sum(1 for outcome in result.outcomes if outcome.written)
    run.drafts_unchanged = sum(
        1 for outcome in result.outcomes if outcome.invoice is not None and not outcome.written
    )
    with transaction.atomic():
        _derived_data_commit()
        run.save(update_fields=["status", "problems", "finished_at", "drafts_written", "drafts_unchanged"])
        if run.drafts_written or problems:
            audit.record(
                "close.finished" if not problems else "close.failed",
                run,
                by=by,
                task_id=task_id,
                data={
                    "period": str(period),
                    "drafts_written": run.drafts_written,
                    "drafts_unchanged": run.drafts_unchanged,
                    "problems": len(problems),
                },
                now=now,
            )
    return result


def _derived_data_commit() -> None:
    """A close writes derived data (drafts, runs) that the next close rewrites the same way: on PostgreSQL its
    transactions commit without waiting for the WAL flush (``synchronous_commit off``; a crash may lose the
    last ones, never corrupt them, and the task runs again). Issuing, payments and credit notes wait."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _start_run(seller: Seller, period: Period, *, by, task_id: str, now: datetime) -> CloseRun:
    with transaction.atomic():
        _derived_data_commit()
        try:
            with transaction.atomic():
                run, _ = CloseRun.objects.get_or_create(seller=seller, period=period.first_day)
        except IntegrityError:  # another worker created it at the same moment
            run = CloseRun.objects.get(seller=seller, period=period.first_day)
        run = CloseRun.objects.select_for_update().get(pk=run.pk)
        run.status = CloseRun.Status.RUNNING
        run.attempts += 1
        run.task_id = task_id or run.task_id
        run.started_at = now
        run.finished_at = None
        if by is not None and getattr(by, "is_authenticated", False):
            run.requested_by = by
        run.save()
    return run


def _close_contract(
    contract: Contract, period: Period, inputs: dict[tuple, int], *, by, task_id: str, now: datetime
) -> ContractOutcome:
    outcome = ContractOutcome(contract=contract)
    line = contract.service_line
    warehouse = line.warehouse
    with transaction.atomic():
        _derived_data_commit()
        with _phase("lock"):
            invoice = _locked_invoice(contract, period)
        if invoice is not None and invoice.status == Invoice.Status.ISSUED:
            outcome.invoice = invoice  # issued invoices never change; corrections are credit notes
            return outcome
        with _phase("facts"):
            facts = month_facts(seller=contract.seller, warehouse=warehouse, period=period, service_line=line)
        try:
            with _phase("engine"):
                version, specs, computation = price_month(contract, period, facts)
        except (RuleError, NoVersionInForce) as exc:
            outcome.problem = _problem(contract, exc)
            if invoice is not None and not invoice.is_stale:
                invoice.is_stale = True
                invoice.save(update_fields=["is_stale"])
            outcome.invoice = invoice
            return outcome
        if not computation.lines and not computation.not_billed and not _has_rows(facts):
            if invoice is not None:  # its rows were withdrawn: no invoice for the month
                audit.record(
                    "invoice.draft_removed",
                    invoice,
                    by=by,
                    task_id=task_id,
                    data={"reason": "no rows"},
                    now=now,
                )
                invoice.delete()
                outcome.removed = True
            return outcome
        with _phase("checks"):
            findings, findings_total = _findings(contract, warehouse, period)
        with _phase("facts"):
            digest_of_inputs = _digest_of_inputs(inputs, line)
        with _phase("engine"):
            values = _invoice_values(contract, version, computation, findings, findings_total)
            values["inputs_digest"] = digest_of_inputs
            lines = _line_rows(computation, facts, specs)
            digest = _digest(values, lines)
        if invoice is not None and invoice.content_digest == digest and not invoice.is_stale:
            outcome.invoice = invoice  # the same data gives the same draft: nothing new is written
            return outcome
        with _phase("write"):
            _write_draft(
                invoice, contract, period, values, lines, digest, outcome, by=by, task_id=task_id, now=now
            )
        committing = time.perf_counter()
    PHASES["write"] += time.perf_counter() - committing  # the commit of the draft and its lines
    return outcome


def _write_draft(
    invoice: Invoice | None,
    contract: Contract,
    period: Period,
    values: dict[str, Any],
    lines: list[dict[str, Any]],
    digest: str,
    outcome: ContractOutcome,
    *,
    by,
    task_id: str,
    now: datetime,
) -> None:
    """Write (or replace) the draft and its lines, and the audit event: inside the contract's transaction."""
    created = invoice is None
    if created:
        invoice = Invoice(contract=contract, period=period.first_day, kind=Invoice.Kind.REGULAR)
    for name, value in values.items():
        setattr(invoice, name, value)
    invoice.content_digest = digest
    invoice.is_stale = False
    invoice.computed_at = now
    invoice.save()
    if not created:
        invoice.lines.all().delete()
    _insert_lines(invoice, lines)
    audit.record(
        "invoice.draft_written" if created else "invoice.draft_replaced",
        invoice,
        by=by,
        task_id=task_id,
        data={
            "period": str(period),
            "total": str(invoice.total),
            "currency": invoice.currency,
            "lines": len(lines),
        },
        now=now,
    )
    outcome.invoice, outcome.written = invoice, True


# The JSON columns of a line; ``_line_rows`` makes their values plain JSON already.
_JSON_FIELDS = frozenset({"description_text", "formula_text", "inputs", "source_refs"})


def _insert_lines(invoice: Invoice, lines: list[dict[str, Any]]) -> None:
    """The draft's lines in one statement. On PostgreSQL a ``COPY`` (a month's thousand parcel lines cost a
    tenth of ``bulk_create``'s per-field preparation); elsewhere ``bulk_create``."""
    connection = connections[Invoice.objects.db]
    if connection.vendor != "postgresql" or not lines:
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=invoice, position=position, **line_values)
            for position, line_values in enumerate(lines, start=1)
        )
        return
    names = list(lines[0])
    columns = ", ".join(
        connection.ops.quote_name(InvoiceLine._meta.get_field(name).column)
        for name in ["invoice", "position", *names]
    )
    json_at = [index for index, name in enumerate(names) if name in _JSON_FIELDS]
    dumps = json.dumps
    statement = f"COPY {InvoiceLine._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for position, line_values in enumerate(lines, start=1):
            row = [line_values[name] for name in names]
            for index in json_at:
                if row[index] is not None:
                    row[index] = dumps(row[index])
            copy.write_row((invoice.pk, position, *row))


def price_month(contract: Contract, period: Period, facts: MonthFacts):
    """The contract's month priced by the rate card version in force: (version, rule specs, computation).
    Raises ``RuleError`` or ``NoVersionInForce`` when it cannot be priced. The close and the month-to-date
    preview both price through here."""
    version = version_in_force(contract.rate_card, period)
    specs = rule_specs(version)
    computation = compute_invoice(
        facts,
        specs,
        currency=contract.rate_card.currency,
        customer_class=contract.customer_class,
        service_tax_rate=contract.rate_card.service_tax_rate,
        not_billed_kinds=version.not_billed_kinds,
    )
    return version, specs, computation


def _locked_invoice(contract: Contract, period: Period) -> Invoice | None:
    """The regular invoice of the contract and month, locked; concurrent closes queue here. The contract's row
    is locked first: with no invoice yet there is no row to lock, and two closes would both create one (the
    second failing on the unique contract and month).

    Both lock their own row only (``of=("self",)``, ordered by key): the models' default orderings join the
    seller, service line and warehouse, and a plain ``FOR UPDATE`` would lock those shared rows too, queueing
    every seller's close behind every other's."""
    list(Contract.objects.select_for_update(of=("self",)).filter(pk=contract.pk).order_by().values_list("pk"))
    return (
        Invoice.objects.select_for_update(of=("self",))
        .filter(contract=contract, period=period.first_day, kind=Invoice.Kind.REGULAR)
        .order_by("pk")
        .first()
    )


def _has_rows(facts: MonthFacts) -> bool:
    return any(facts.ledgers.get(kind) for kind in LEDGERS)


def _problem(contract: Contract, exc: Exception) -> dict[str, Any]:
    text = _jsonable_text(getattr(exc, "text", None))
    return {
        "contract": contract.pk,
        "service_line": contract.service_line.code,
        "warehouse": contract.service_line.warehouse.code,
        "rate_card": contract.rate_card.code,
        "message": str(exc),
        "text": text,
    }


def _rows_without_contract(
    period: Period, contracts: list[Contract], inputs: dict[tuple, int]
) -> list[dict[str, Any]]:
    """Warehouse rows of the month on a service line where the seller has no contract in force (from the
    month's ``month_inputs``; a row with no service line has no contract either)."""
    covered = {contract.service_line_id for contract in contracts}
    counts: dict[tuple[str, int, int | None], int] = {}
    for (key, warehouse_id, line_id, _file_id), count in inputs.items():
        if line_id not in covered:
            counts[key, warehouse_id, line_id] = counts.get((key, warehouse_id, line_id), 0) + count
    if not counts:
        return []
    warehouses = dict(Warehouse.objects.filter(pk__in={k[1] for k in counts}).values_list("pk", "code"))
    lines = dict(ServiceLine.objects.filter(pk__in={k[2] for k in counts}).values_list("pk", "code"))
    order = {key: index for index, key in enumerate(KINDS)}
    problems = []
    for (key, warehouse_id, line_id), count in sorted(
        counts.items(),
        key=lambda item: (order[item[0][0]], warehouses[item[0][1]], lines.get(item[0][2], "")),
    ):
        warehouse_code, line_code = warehouses[warehouse_id], lines.get(line_id)
        problems.append(
            {
                "contract": None,
                "service_line": line_code or "",
                "warehouse": warehouse_code,
                "rate_card": "",
                "message": (
                    f"{count} {key} row(s) at {warehouse_code} on service line {line_code or '(none)'} "
                    f"have no contract in force in {period}"
                ),
                "text": {
                    "id": "close.rows_without_contract",
                    "params": {
                        "count": count,
                        "ledger": key,
                        "warehouse": warehouse_code,
                        "service_line": line_code or "-",
                        "period": str(period),
                    },
                },
            }
        )
    return problems


def _findings(contract: Contract, warehouse, period: Period) -> tuple[list[dict[str, Any]], int]:
    found, total = checks.stock_findings(contract.seller, [warehouse.pk], period.first_day, period.last_day)
    return [
        {
            "kind": finding.kind,
            "item_id": finding.item_id,
            "day": finding.day.isoformat(),
            "detail": finding.detail,
            "text": _jsonable_text(getattr(finding, "text", None)),
        }
        for finding in found
    ], total


def _jsonable_text(text) -> dict[str, Any] | None:
    """A ``tariffs.rules.Text`` as stored: {"id", "params"} (nested texts as dicts)."""
    if text is None:
        return None
    if hasattr(text, "as_dict"):
        return json.loads(json.dumps(text.as_dict(), default=_plain))
    return {"id": text.id, "params": {key: _plain(value) for key, value in dict(text.params).items()}}


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _invoice_values(contract, version, computation: Computation, findings, findings_total) -> dict[str, Any]:
    totals = computation.totals
    line = contract.service_line
    return {
        "operator": line.warehouse.operator,
        "seller": contract.seller,
        "warehouse": line.warehouse,
        "service_line": line,
        "rate_card": contract.rate_card,
        "rate_card_version": version,
        "currency": computation.currency,
        "customer_class": contract.customer_class,
        "subtotal": totals.subtotal,
        "service_tax": totals.service_tax,
        "total": totals.total,
        "sections": {name: f"{amount:f}" for name, amount in totals.sections.items()},
        "tax_breakdown": [
            {"rate": f"{item.rate:f}", "taxable": f"{item.taxable:f}", "tax": f"{item.tax:f}"}
            for item in totals.tax_breakdown
        ],
        "not_billed": list(computation.not_billed),
        "findings": findings,
        "findings_total": findings_total,
    }


def _line_rows(computation: Computation, facts: MonthFacts, specs) -> list[dict[str, Any]]:
    """The engine's lines as ``InvoiceLine`` values: rule, ledger, JSON source refs and how many rows."""
    rows_of_ref: dict[Any, int] = {}
    for fact in facts.ledgers.get("stock", ()):
        if fact.__class__ is StockItemMonth:
            rows_of_ref[fact.ref] = fact.days
    kind_of_rule = {spec.key: spec.kind for spec in specs}
    result = []
    keys = computation.rule_keys or (None,) * len(computation.lines)
    for charge, rule_id in zip(computation.lines, keys, strict=True):
        rule_kind = kind_of_rule.get(rule_id, "")
        ledger = (get_rule_kind(rule_kind).ledger or "") if rule_kind else ""
        refs = [_ref_json(ref) for ref in charge.source_refs]
        rows_count = sum(rows_of_ref.get(ref, 1) for ref in charge.source_refs)
        result.append(
            {
                "code": charge.code,
                "section": charge.section,
                "description": charge.description[:500],
                "description_text": _jsonable_text(getattr(charge, "description_text", None)),
                "quantity": charge.quantity,
                "unit": charge.unit,
                "unit_price": charge.unit_price,
                "amount": charge.amount,
                "formula": charge.formula,
                "formula_text": _jsonable_text(getattr(charge, "formula_text", None)),
                "rule_id": rule_id,
                "rule_kind": rule_kind,
                "ledger": ledger,
                "inputs": _json_plain(dict(charge.inputs)),
                "source_refs": refs,
                "rows_count": rows_count,
            }
        )
    return result


_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_plain(value) -> Any:
    """``value`` as JSON would give it back (``json.loads(json.dumps(value, default=_plain))``) without the
    text in between: dicts with text keys, lists for tuples, ``_plain`` for the rest."""
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, dict):
        return {_json_key(key): _json_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_plain(item) for item in value]
    return _json_plain(_plain(value))


def _json_key(key) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None or isinstance(key, int | float):
        return json.dumps(key)  # True -> "true", None -> "null", 1 -> "1", as JSON writes them
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _ref_json(ref) -> Any:
    if isinstance(ref, RowSet):
        return {"kind": ref.kind, "item_id": ref.item_id}
    return ref


def _digest(values: dict[str, Any], lines: list[dict[str, Any]]) -> str:
    """What the draft says: parties, version, amounts, findings and every line (not when it was computed)."""
    plain = {name: (value.pk if hasattr(value, "pk") else value) for name, value in values.items()}
    return hashlib.sha256(
        json.dumps({"invoice": plain, "lines": lines}, sort_keys=True, default=_plain).encode()
    ).hexdigest()


def billed_rows(facts: MonthFacts) -> int:
    """How many stored rows the facts stand for (every one is on exactly one line)."""
    return sum(ledger_rows(facts.ledgers.get(kind, ())) for kind in LEDGERS)


def mark_drafts_stale(*, warehouse_id: int, spans: dict, reason: str = "", ledger_file=None) -> int:
    """Drafts of the sellers, lines and months of ``spans`` ((seller id, line id) -> (first, last)) go stale:
    they cannot be issued until the close runs again."""
    if not spans:
        return 0
    condition = Q()
    for (seller_id, line_id), (first, last) in spans.items():
        scope = Q(
            seller_id=seller_id, warehouse_id=warehouse_id, period__gte=first.replace(day=1), period__lte=last
        )
        if line_id is not None:
            scope &= Q(service_line_id=line_id)
        condition |= scope
    # ``of=("self",)``: not the seller's, line's and warehouse's rows that the default ordering joins
    drafts = list(
        Invoice.objects.filter(condition, status=Invoice.Status.DRAFT, is_stale=False).select_for_update(
            of=("self",)
        )
    )
    for invoice in drafts:
        invoice.is_stale = True
        invoice.save(update_fields=["is_stale"])
        audit.record(
            "invoice.draft_stale",
            invoice,
            data={"reason": reason, "ledger_file": getattr(ledger_file, "pk", None)},
        )
    return len(drafts)


def month_inputs(seller_id: int, period: Period) -> dict[tuple, int]:
    """How many of the seller's warehouse rows in force in the month each upload holds, by ledger, warehouse
    and service line: {(ledger, warehouse id, service line id, ledger file id): rows}. One query per ledger
    for all of the seller's contracts: each one's ``inputs_digest`` and the rows no contract covers."""
    inputs: dict[tuple, int] = {}
    for key, kind in KINDS.items():
        rows = kind.model.objects.filter(
            seller_id=seller_id,
            source=LedgerFile.Source.WAREHOUSE,
            is_current=True,
            **{f"{kind.date_field}__gte": period.first_day, f"{kind.date_field}__lt": period.next_first_day},
        )
        for warehouse_id, line_id, file_id, count in (
            rows.order_by()
            .values_list("warehouse_id", "service_line_id", "ledger_file_id")
            .annotate(n=Count("pk"))
            .values_list("warehouse_id", "service_line_id", "ledger_file_id", "n")
        ):
            inputs[key, warehouse_id, line_id, file_id] = count
    return inputs


def _digest_of_inputs(inputs: dict[tuple, int], service_line) -> str:
    """``inputs_digest`` of the service line from the seller's ``month_inputs`` (the same text, hashed)."""
    order = {key: index for index, key in enumerate(KINDS)}
    parts = sorted(
        (order[key], file_id, f"{key}:{file_id}:{count}")
        for (key, warehouse_id, line_id, file_id), count in inputs.items()
        if warehouse_id == service_line.warehouse_id and line_id == service_line.pk
    )
    return hashlib.sha256(";".join(part for _, _, part in parts).encode()).hexdigest()


def inputs_digest(seller_id: int, service_line, period: Period) -> str:
    """Which uploads' rows are in force for the seller, line and month, and how many of each: a draft whose
    digest differs from the store's now was computed from other rows (issue refuses it until a re-close)."""
    return _digest_of_inputs(month_inputs(seller_id, period), service_line)


def queue_close(
    period: Period, sellers: list[Seller] | None = None, *, by=None, now: datetime | None = None
) -> int:
    """Hand the close of ``period`` to the workers, one task per seller (after commit); returns how many.
    Each seller's run shows "queued" until a worker takes it (the admin's progress)."""
    from billing.tasks import close_seller_month_task

    now = now or timezone.now()
    sellers = sellers_to_close(period) if sellers is None else sellers
    user_id = by.pk if by is not None and getattr(by, "is_authenticated", False) else None
    for seller in sellers:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    run, _ = CloseRun.objects.get_or_create(seller=seller, period=period.first_day)
            except IntegrityError:
                run = CloseRun.objects.get(seller=seller, period=period.first_day)
            CloseRun.objects.filter(pk=run.pk).update(
                status=CloseRun.Status.QUEUED, requested_at=now, requested_by_id=user_id, problems=[]
            )
            transaction.on_commit(
                lambda seller_id=seller.pk: close_seller_month_task.delay(seller_id, str(period), user_id)
            )
    return len(sellers)
