"""The monthly close (SPEC §9, issue 12): a seller's month becomes one draft invoice per contract.

``close_sellers_month`` is the one service (``close_seller_month`` is a batch of one); the Celery task (a
batch of ``BATCH_SIZE`` sellers), the admin action, the beat schedule and ``manage.py close_period`` call it.
A batch reads its sellers' inputs, facts, findings and drafts in a few set-based queries. For each contract
of a seller in force in the month:

1. the facts come from SQL over the stored warehouse-source rows in force (``inventory.ledgers.store_facts``);
2. the rate card version in force prices them (``tariffs.engine.compute_invoice``);
3. the consistency checks' findings are attached;
4. in one transaction, under a row lock on the invoice, the draft is written, or replaced, or (when nothing it
   says changed) left alone. An issued invoice is never touched.

A contract whose invoice cannot be computed (an unknown service code, a kind the card neither prices nor
lists, no version in force) is listed on the seller's ``CloseRun`` for ops; the seller's other contracts
are still closed. Rows of a service line with no contract in force are listed too.
Every write is an audit event.

Safe to run twice, at once, or to be killed: the drafts of a batch are written in one transaction under the
locks of their contracts and invoices (an invoice changed since the batch read it is closed again alone,
under its lock); the unique (contract, month) of a regular invoice; a run killed in the middle leaves the
drafts it committed and no partial one, and the next run completes the rest.
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

from django.db import connection, connections, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from billing import adjustments
from billing.models import CloseRun, Invoice, InvoiceLine
from inventory.ledgers import checks
from inventory.ledgers.kinds import KINDS
from inventory.ledgers.store_facts import (
    StockMonthRead,
    month_facts,
    month_facts_of_sellers,
    read_stock_month_of_sellers,
)
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
    [result] = close_sellers_month(sellers=[seller], period=period, by=by, task_id=task_id, now=now)
    return result


def close_sellers_month(
    *, sellers: list[Seller], period: Period, by=None, task_id: str = "", now: datetime | None = None
) -> list[CloseResult]:
    """Close the month of a batch of sellers (a worker's task closes ``BATCH_SIZE`` at a time), each seller's
    run finished as soon as its contracts are. The batch reads its facts, findings and drafts in a few
    set-based queries (``ROWS_PER_READ`` rows at a time) instead of some forty per seller; each draft is
    still written in its own transaction under its lock, as ``close_seller_month`` of one seller would."""
    now = now or timezone.now()
    sellers = sorted({seller.pk: seller for seller in sellers}.values(), key=lambda seller: seller.code)
    if not sellers:
        return []
    by_id = {seller.pk: seller for seller in sellers}
    with _phase("run"):
        runs = _start_runs(sellers, period, by=by, task_id=task_id, now=now)
        contracts: dict[int, list[Contract]] = {seller.pk: [] for seller in sellers}
        for contract in (
            Contract.objects.filter(contracts_in_force(period), seller_id__in=by_id)
            .select_related("rate_card", "service_line__warehouse__operator")
            .order_by("service_line__warehouse__code", "service_line__code", "pk")
        ):
            contract.seller = by_id[contract.seller_id]
            contracts[contract.seller_id].append(contract)
        drafts = _current_invoices([c for mine in contracts.values() for c in mine], period)
    with _phase("facts"):
        # On PostgreSQL the stock rows are counted by each chunk's one scan of its stock month (below)
        kinds = None if connection.vendor != "postgresql" else [kind for kind in KINDS if kind != "stock"]
        inputs = month_inputs_of_sellers(list(by_id), period, kinds=kinds)
    results = []
    for chunk in _chunks_by_rows(sellers, inputs, ROWS_PER_READ):
        results.extend(
            _close_chunk(chunk, period, contracts, inputs, drafts, runs, by=by, task_id=task_id, now=now)
        )
    return results


def _close_chunk(
    chunk: list[Seller],
    period: Period,
    contracts: dict[int, list[Contract]],
    inputs: dict[int, dict[tuple, int]],
    drafts: dict[int, Invoice],
    runs: dict[int, CloseRun],
    *,
    by,
    task_id: str,
    now: datetime,
) -> list[CloseResult]:
    """The sellers of one read: their facts and findings read at once, each contract decided, the drafts
    to write written in one transaction, the rest (``_close_contract_locked``) one by one, the runs
    finished together."""
    of_chunk = [contract for seller in chunk for contract in contracts[seller.pk]]
    stock = None
    if connection.vendor == "postgresql":
        with _phase("facts"):  # the stock month: facts, drops and inputs' counts in one scan
            stock = read_stock_month_of_sellers([seller.pk for seller in chunk], period)
        for seller_id, counts in stock.inputs.items():
            inputs.setdefault(seller_id, {}).update(counts)
    with _phase("facts"):
        facts = _facts_of_sellers(of_chunk, period, stock)
    with _phase("checks"):
        findings = _findings_of_sellers(of_chunk, period, stock)
    pending = adjustments.pending_of(of_chunk, period)
    outcomes: dict[int, ContractOutcome] = {}
    to_write: list[_Draft] = []
    for contract in of_chunk:
        decided = _decide(
            contract,
            period,
            inputs.get(contract.seller_id, {}),
            facts[contract.seller_id, contract.service_line_id],
            findings[contract.seller_id, contract.service_line.warehouse_id],
            drafts.get(contract.pk),
            pending,
        )
        if isinstance(decided, ContractOutcome):
            outcomes[contract.pk] = decided
        elif decided is not None:
            to_write.append(decided)
    _write_drafts(to_write, period, outcomes, by=by, task_id=task_id, now=now)
    for contract in of_chunk:
        if contract.pk not in outcomes:  # a problem, a draft to remove, or an invoice changed since read
            outcomes[contract.pk] = _close_contract_locked(
                contract, period, inputs.get(contract.seller_id, {}), by=by, task_id=task_id, now=now
            )
    results = [
        CloseResult(run=runs[seller.pk], outcomes=[outcomes[c.pk] for c in contracts[seller.pk]])
        for seller in chunk
    ]
    with _phase("run"):
        _finish_runs(results, period, contracts, inputs, by=by, task_id=task_id, now=now)
    return results


@dataclass
class _Draft:
    """A draft a batch is to write: what it computed, and the invoice as the batch read it."""

    contract: Contract
    current: Invoice | None
    values: dict[str, Any]
    lines: list[dict[str, Any]]
    digest: str


def _decide(
    contract: Contract,
    period: Period,
    inputs: dict[tuple, int],
    facts: MonthFacts,
    findings: tuple[list[dict[str, Any]], int],
    current: Invoice | None,
    pending: dict[tuple[int, int], list] | None = None,
) -> ContractOutcome | _Draft | None:
    """What a contract of a batch needs, from what the batch read (no lock): nothing (an issued invoice, a
    draft that says the same, no rows and no draft) as its outcome; a draft to write; or None, for
    ``_close_contract_locked`` (a problem to list, a draft whose rows are gone)."""
    outcome = ContractOutcome(contract=contract)
    if current is not None and current.status == Invoice.Status.ISSUED:
        outcome.invoice = current  # issued invoices never change; corrections are credit notes
        return outcome
    try:
        with _phase("engine"):
            version, specs, computation = _price_with_adjustments(contract, period, facts, pending or {})
    except (RuleError, NoVersionInForce):
        return None
    if not computation.lines and not computation.not_billed and not _has_rows(facts):
        return outcome if current is None else None
    with _phase("engine"):
        values = _invoice_values(contract, version, computation, *findings)
        values["inputs_digest"] = _digest_of_inputs(inputs, contract.service_line)
        lines = _line_rows(computation, facts, specs)
        digest = _digest(values, lines)
    if current is not None and current.content_digest == digest and not current.is_stale:
        outcome.invoice = current  # the same data gives the same draft: nothing new is written
        return outcome
    return _Draft(contract, current, values, lines, digest)


def _write_drafts(
    drafts: list[_Draft],
    period: Period,
    outcomes: dict[int, ContractOutcome],
    *,
    by,
    task_id: str,
    now: datetime,
) -> None:
    """Write a batch's drafts in one transaction: the contracts' rows locked, then their invoices, both in
    key order (as every close and ``mark_drafts_stale`` lock them: no deadlock). A draft whose invoice is
    no longer as the batch read it (written, issued or marked stale meanwhile) is left out, for
    ``_close_contract_locked``. Its outcome is set for each draft written."""
    if not drafts:
        return
    with transaction.atomic():
        _derived_data_commit()
        with _phase("lock"):
            contract_ids = sorted(draft.contract.pk for draft in drafts)
            list(
                Contract.objects.select_for_update(of=("self",))
                .filter(pk__in=contract_ids)
                .order_by("pk")
                .values_list("pk")
            )
            locked = {
                invoice.contract_id: invoice
                for invoice in Invoice.objects.select_for_update(of=("self",))
                .filter(contract__in=contract_ids, period=period.first_day, kind=Invoice.Kind.REGULAR)
                .order_by("pk")
            }
        with _phase("write"):
            written: list[tuple[_Draft, Invoice, bool]] = []
            for draft in drafts:
                invoice = locked.get(draft.contract.pk)
                if _state(invoice) != _state(draft.current):
                    continue
                created = invoice is None
                if created:
                    invoice = Invoice(
                        contract=draft.contract, period=period.first_day, kind=Invoice.Kind.REGULAR
                    )
                for name, value in draft.values.items():
                    setattr(invoice, name, value)
                invoice.content_digest = draft.digest
                invoice.is_stale = False
                invoice.computed_at = now
                written.append((draft, invoice, created))
            replaced = [invoice for _draft, invoice, created in written if not created]
            if replaced:
                InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in replaced]).delete()
                for invoice in replaced:
                    invoice.save()
            Invoice.objects.bulk_create([invoice for _draft, invoice, created in written if created])
            _insert_lines_of([(invoice, draft.lines) for draft, invoice, _created in written])
            audit.record_many(
                [
                    audit.event(
                        "invoice.draft_written" if created else "invoice.draft_replaced",
                        invoice,
                        by=by,
                        task_id=task_id,
                        data={
                            "period": str(period),
                            "total": str(invoice.total),
                            "currency": invoice.currency,
                            "lines": len(draft.lines),
                        },
                        now=now,
                    )
                    for draft, invoice, created in written
                ]
            )
        committing = time.perf_counter()
    PHASES["write"] = PHASES.get("write", 0.0) + time.perf_counter() - committing  # the commit
    for draft, invoice, _created in written:
        outcomes[draft.contract.pk] = ContractOutcome(contract=draft.contract, invoice=invoice, written=True)


# A batch's facts are read for this many of its warehouse rows at a time (a seller with more is read alone):
# the memory of a worker stays that of one large seller's month.
ROWS_PER_READ = 250_000


def _chunks_by_rows(sellers: list[Seller], inputs: dict[int, dict[tuple, int]], limit: int):
    chunk: list[Seller] = []
    rows = 0
    for seller in sellers:
        count = sum(inputs.get(seller.pk, {}).values())
        if chunk and rows + count > limit:
            yield chunk
            chunk, rows = [], 0
        chunk.append(seller)
        rows += count
    if chunk:
        yield chunk


def _facts_of_sellers(
    contracts: list[Contract], period: Period, stock: StockMonthRead | None = None
) -> dict[tuple[int, int], MonthFacts]:
    """{(seller id, service line id): the month's facts} of the contracts, one read per service line (its
    stock from ``stock`` when the chunk read it)."""
    lines: dict[int, tuple[ServiceLine, list[int]]] = {}
    for contract in contracts:
        lines.setdefault(contract.service_line_id, (contract.service_line, []))[1].append(contract.seller_id)
    facts = {}
    for line_id, (line, seller_ids) in lines.items():
        stock_groups = None
        if stock is not None:
            key = (line.warehouse_id, line_id)
            stock_groups = {s: stock.groups[(s, *key)] for s in seller_ids if (s, *key) in stock.groups}
        of_sellers = month_facts_of_sellers(
            seller_ids=seller_ids,
            warehouse=line.warehouse,
            period=period,
            service_line=line,
            stock_groups=stock_groups,
        )
        for seller_id, month in of_sellers.items():
            facts[seller_id, line_id] = month
    return facts


def _findings_of_sellers(
    contracts: list[Contract], period: Period, stock: StockMonthRead | None = None
) -> dict[tuple[int, int], tuple[list, int]]:
    """{(seller id, warehouse id): (findings as stored, how many)}, one read per warehouse (the drops from
    ``stock`` when the chunk read it)."""
    warehouses: dict[int, set[int]] = {}
    for contract in contracts:
        warehouses.setdefault(contract.service_line.warehouse_id, set()).add(contract.seller_id)
    findings = {}
    for warehouse_id, seller_ids in warehouses.items():
        drops = None
        if stock is not None:
            drops = {s: stock.drops.get((s, warehouse_id), ([], 0)) for s in seller_ids}
        found = checks.stock_findings_of_sellers(
            seller_ids, [warehouse_id], period.first_day, period.last_day, drops=drops
        )
        for seller_id, (of_seller, total) in found.items():
            findings[seller_id, warehouse_id] = (_stored_findings(of_seller), total)
    return findings


def _current_invoices(contracts: list[Contract], period: Period) -> dict[int, Invoice]:
    """{contract id: its regular invoice of the month}, as read before the batch computes (one query)."""
    if not contracts:
        return {}
    return {
        invoice.contract_id: invoice
        for invoice in Invoice.objects.filter(
            contract__in=[contract.pk for contract in contracts],
            period=period.first_day,
            kind=Invoice.Kind.REGULAR,
        ).order_by()
    }


def _finish_runs(
    results: list[CloseResult],
    period: Period,
    contracts: dict[int, list[Contract]],
    inputs: dict[int, dict[tuple, int]],
    *,
    by,
    task_id: str,
    now,
) -> None:
    """Finish the runs of a batch's sellers in one transaction: status, problems, counts and the audit
    events of the runs that wrote or could not compute something."""
    events = []
    for result in results:
        run = result.run
        problems = [outcome.problem for outcome in result.outcomes if outcome.problem]
        problems.extend(
            _rows_without_contract(period, contracts[run.seller_id], inputs.get(run.seller_id, {}))
        )
        run.status = CloseRun.Status.FAILED if problems else CloseRun.Status.DONE
        run.problems = problems
        run.finished_at = timezone.now()
        run.drafts_written = sum(1 for outcome in result.outcomes if outcome.written)
        run.drafts_unchanged = sum(
            1 for outcome in result.outcomes if outcome.invoice is not None and not outcome.written
        )
        if run.drafts_written or problems:
            events.append(
                audit.event(
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
            )
    with transaction.atomic():
        _derived_data_commit()
        CloseRun.objects.bulk_update(
            [result.run for result in results],
            ["status", "problems", "finished_at", "drafts_written", "drafts_unchanged"],
        )
        audit.record_many(events)


def _derived_data_commit() -> None:
    """A close writes derived data (drafts, runs) that the next close rewrites the same way: on PostgreSQL its
    transactions commit without waiting for the WAL flush (``synchronous_commit off``; a crash may lose the
    last ones, never corrupt them, and the task runs again). Issuing, payments and credit notes wait."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _start_runs(
    sellers: list[Seller], period: Period, *, by, task_id: str, now: datetime
) -> dict[int, CloseRun]:
    """Each seller's run of the month, now running (created if new): three statements for the batch."""
    ids = [seller.pk for seller in sellers]
    changes: dict[str, Any] = {
        "status": CloseRun.Status.RUNNING,
        "attempts": F("attempts") + 1,
        "started_at": now,
        "finished_at": None,
    }
    if task_id:
        changes["task_id"] = task_id
    if by is not None and getattr(by, "is_authenticated", False):
        changes["requested_by"] = by
    with transaction.atomic():
        _derived_data_commit()
        CloseRun.objects.bulk_create(
            [CloseRun(seller_id=seller_id, period=period.first_day) for seller_id in ids],
            ignore_conflicts=True,
        )
        CloseRun.objects.filter(seller_id__in=ids, period=period.first_day).update(**changes)
    runs = {run.seller_id: run for run in CloseRun.objects.filter(seller_id__in=ids, period=period.first_day)}
    for seller in sellers:
        runs[seller.pk].seller = seller
    return runs


def _state(invoice: Invoice | None) -> tuple | None:
    """What the batch's decision about an invoice rests on."""
    if invoice is None:
        return None
    return (invoice.pk, invoice.status, invoice.is_stale, invoice.content_digest)


def _close_contract_locked(
    contract: Contract, period: Period, inputs: dict[tuple, int], *, by, task_id: str, now: datetime
) -> ContractOutcome:
    """One contract read and written under the lock of its invoice (its facts read again)."""
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
                version, specs, computation = _price_with_adjustments(
                    contract, period, facts, adjustments.pending_of([contract], period)
                )
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
            found, findings_total = checks.stock_findings(
                contract.seller, [warehouse.pk], period.first_day, period.last_day
            )
            findings = _stored_findings(found)
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
    PHASES["write"] = PHASES.get("write", 0.0) + time.perf_counter() - committing  # the commit
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
    """The draft's lines in one statement (``_insert_lines_of``)."""
    _insert_lines_of([(invoice, lines)])


def _insert_lines_of(drafts: list[tuple[Invoice, list[dict[str, Any]]]]) -> None:
    """The lines of drafts in one statement. On PostgreSQL a ``COPY`` (a month's thousand parcel lines cost a
    tenth of ``bulk_create``'s per-field preparation); elsewhere ``bulk_create``."""
    drafts = [(invoice, lines) for invoice, lines in drafts if lines]
    if not drafts:
        return
    connection = connections[Invoice.objects.db]
    if connection.vendor != "postgresql":
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=invoice, position=position, **line_values)
            for invoice, lines in drafts
            for position, line_values in enumerate(lines, start=1)
        )
        return
    names = list(drafts[0][1][0])
    columns = ", ".join(
        connection.ops.quote_name(InvoiceLine._meta.get_field(name).column)
        for name in ["invoice", "position", *names]
    )
    json_at = [index for index, name in enumerate(names) if name in _JSON_FIELDS]
    dumps = json.dumps
    statement = f"COPY {InvoiceLine._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for invoice, lines in drafts:
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


def _price_with_adjustments(contract: Contract, period: Period, facts: MonthFacts, pending: dict):
    """``price_month`` and then the pending adjustments of accepted disputes (``billing.adjustments``) that a
    draft of the contract's seller and line carries: both paths of the close price through here, so a draft
    carries them however many times it is computed, until an issued invoice carries them."""
    version, specs, computation = price_month(contract, period, facts)
    computation = adjustments.with_adjustments(
        computation,
        pending.get((contract.seller_id, contract.service_line_id), ()),
        service_tax_rate=contract.rate_card.service_tax_rate,
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


def _stored_findings(found) -> list[dict[str, Any]]:
    """The findings of ``checks.stock_findings`` as the invoice stores them."""
    return [
        {
            "kind": finding.kind,
            "item_id": finding.item_id,
            "day": finding.day.isoformat(),
            "detail": finding.detail,
            "text": _jsonable_text(getattr(finding, "text", None)),
        }
        for finding in found
    ]


def _jsonable_text(text) -> dict[str, Any] | None:
    """A ``tariffs.rules.Text`` as stored: {"id", "params"} (nested texts as dicts)."""
    if text is None:
        return None
    if hasattr(text, "as_dict"):
        return _json_plain(text.as_dict())  # as json.loads(json.dumps(..., default=_plain)) gives it
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
        Invoice.objects.filter(condition, status=Invoice.Status.DRAFT, is_stale=False)
        .select_for_update(of=("self",))
        .order_by("pk")  # the order the close locks them in
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
    return month_inputs_of_sellers([seller_id], period).get(seller_id, {})


def month_inputs_of_sellers(
    seller_ids: list[int], period: Period, *, kinds: list[str] | None = None
) -> dict[int, dict[tuple, int]]:
    """``month_inputs`` of many sellers ({seller id: inputs}, for those with rows): one query per ledger (of
    ``kinds``, every ledger by default)."""
    inputs: dict[int, dict[tuple, int]] = {}
    for key, kind in KINDS.items():
        if kinds is not None and key not in kinds:
            continue
        rows = kind.model.objects.filter(
            seller_id__in=seller_ids,
            source=LedgerFile.Source.WAREHOUSE,
            is_current=True,
            **{f"{kind.date_field}__gte": period.first_day, f"{kind.date_field}__lt": period.next_first_day},
        )
        for seller_id, warehouse_id, line_id, file_id, count in (
            rows.order_by()
            .values_list("seller_id", "warehouse_id", "service_line_id", "ledger_file_id")
            .annotate(n=Count("pk"))
            .values_list("seller_id", "warehouse_id", "service_line_id", "ledger_file_id", "n")
        ):
            inputs.setdefault(seller_id, {})[key, warehouse_id, line_id, file_id] = count
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


# Sellers a close task takes at a time: enough to read their facts in a few queries, few enough that both
# workers get a share of a month and the admin's progress moves.
BATCH_SIZE = 20


def queue_close(
    period: Period, sellers: list[Seller] | None = None, *, by=None, now: datetime | None = None
) -> int:
    """Hand the close of ``period`` to the workers, ``BATCH_SIZE`` sellers a task (after commit); returns how
    many sellers. Each seller's run shows "queued" until a worker takes it (the admin's progress)."""
    from billing.tasks import close_sellers_month_task

    now = now or timezone.now()
    sellers = sellers_to_close(period) if sellers is None else sellers
    sellers = sorted({seller.pk: seller for seller in sellers}.values(), key=lambda seller: seller.code)
    user_id = by.pk if by is not None and getattr(by, "is_authenticated", False) else None
    ids = [seller.pk for seller in sellers]
    with transaction.atomic():
        CloseRun.objects.bulk_create(
            [CloseRun(seller_id=seller_id, period=period.first_day) for seller_id in ids],
            ignore_conflicts=True,
        )
        CloseRun.objects.filter(seller_id__in=ids, period=period.first_day).update(
            status=CloseRun.Status.QUEUED, requested_at=now, requested_by_id=user_id, problems=[]
        )
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            transaction.on_commit(
                lambda batch=batch: close_sellers_month_task.delay(batch, str(period), user_id)
            )
    return len(sellers)
