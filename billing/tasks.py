"""Thin, idempotent Celery tasks of the close (SPEC §9): load ids, call the service, return."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from billing import close, services
from billing.models import CloseRun
from portal.models import Seller


@shared_task(acks_late=True, reject_on_worker_lost=True, bind=True)
def close_sellers_month_task(self, seller_ids: list[int], period: str, user_id: int | None = None) -> int:
    """A batch of sellers' month (``close.queue_close``). A batch redelivered after its worker died runs again
    (each invoice is one transaction; what was committed is found unchanged); a seller's run that has tried
    ``close.MAX_ATTEMPTS`` times gives up visibly (the run says so) instead of looping. Returns how many
    sellers it closed."""
    parsed = close.parse_period(period)
    gave_up = _give_up_runs(seller_ids, parsed)
    sellers = list(Seller.objects.filter(pk__in=seller_ids).exclude(pk__in=gave_up))
    user = None
    if user_id is not None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).first()
    results = close.close_sellers_month(
        sellers=sellers, period=parsed, by=user, task_id=self.request.id or ""
    )
    return len(results)


@shared_task(acks_late=True, reject_on_worker_lost=True, bind=True)
def close_seller_month_task(self, seller_id: int, period: str, user_id: int | None = None) -> int:
    """One seller's month (a batch of one; tasks queued before batches keep working)."""
    return close_sellers_month_task.run([seller_id], period, user_id)


def _give_up_runs(seller_ids: list[int], period) -> set[int]:
    """The sellers whose run is still running after ``close.MAX_ATTEMPTS`` attempts: marked failed."""
    runs = CloseRun.objects.filter(
        seller_id__in=seller_ids,
        period=period.first_day,
        status=CloseRun.Status.RUNNING,
        attempts__gte=close.MAX_ATTEMPTS,
    )
    gave_up = set()
    for run in runs:
        run.status = CloseRun.Status.FAILED
        run.problems = [
            {
                "contract": None,
                "service_line": "",
                "warehouse": "",
                "rate_card": "",
                "message": f"gave up after {run.attempts} attempts",
                "text": None,
            }
        ]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "problems", "finished_at"])
        gave_up.add(run.seller_id)
    return gave_up


@shared_task
def close_previous_month_task() -> int:
    """Beat, on the 1st: queue the close of the month before for every seller."""
    today = timezone.localdate()
    previous = close.period_of(today.replace(day=1) - timezone.timedelta(days=1))
    return close.queue_close(previous)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_seller_figures_task(seller_id: int) -> int:
    """The seller's month-to-date preview and stored volume (``billing.figures``); idempotent."""
    from billing.figures import refresh_figures

    seller = Seller.objects.filter(pk=seller_id).first()
    return len(refresh_figures(seller)) if seller is not None else 0


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mark_overdue_task() -> int:
    """Beat, daily: issued invoices past their due date and not fully paid become overdue (idempotent: an
    overdue invoice is not marked again)."""
    return services.mark_overdue()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_statement_task(statement_file_id: int) -> str:
    """Render a stored statement or credit note PDF (``billing.statements``); a second run stores nothing
    more (a ready file is left as it is)."""
    from billing.statements import render_statement_file

    return render_statement_file(statement_file_id).status


# --- Sending invoices by email (SPEC §9 Send; billing.sending) ----------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, bind=True)
def deliver_invoice_send_task(self, send_id: int) -> int:
    """Queue one email per billing contact of a send (statement PDF, CSV, XLSX in the contact's language).
    Idempotent: a delivery is unique per send and contact, written with its email under the send's lock."""
    from billing.sending import deliver_send

    return deliver_send(send_id=send_id, task_id=self.request.id or "")


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sync_invoice_deliveries_task() -> int:
    """Beat, every minute: each delivery's result from the email queue (sent, failed, retries), the sends
    counted on their invoices, and sends whose task never started queued again."""
    from billing.sending import requeue_stuck_sends, sync_deliveries

    requeue_stuck_sends()
    return sync_deliveries()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def propose_dispute_task(dispute_id: int) -> str:
    """Disputes (SPEC §10): recompute the invoice with the seller's figures and store the proposal.
    Idempotent: a dispute already proposed is proposed again to the same figures; one decided or withdrawn
    is left alone; after ``MAX_PROPOSAL_ATTEMPTS`` failures it stays open with its error for ops to decide
    by hand."""
    from billing.disputes import propose_dispute
    from billing.models import Dispute

    attempts = Dispute.objects.filter(pk=dispute_id).values_list("proposal_attempts", flat=True).first()
    if attempts is None or attempts >= MAX_PROPOSAL_ATTEMPTS:
        return "skipped"
    dispute = propose_dispute(dispute_id=dispute_id)
    return dispute.state if dispute is not None else "missing"


MAX_PROPOSAL_ATTEMPTS = 3
