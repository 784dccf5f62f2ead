"""Thin, idempotent Celery tasks of the close (SPEC §9): load ids, call the service, return."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from billing import close, services
from billing.models import CloseRun
from portal.models import Seller


@shared_task(acks_late=True, reject_on_worker_lost=True, bind=True)
def close_seller_month_task(self, seller_id: int, period: str, user_id: int | None = None) -> str:
    """One seller's month. A run redelivered after its worker died runs again (each invoice is one
    transaction); after ``close.MAX_ATTEMPTS`` it gives up visibly (the run says so) instead of looping."""
    seller = Seller.objects.get(pk=seller_id)
    parsed = close.parse_period(period)
    run = CloseRun.objects.filter(seller=seller, period=parsed.first_day).first()
    if run is not None and run.status == CloseRun.Status.RUNNING and run.attempts >= close.MAX_ATTEMPTS:
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
        return run.status
    user = None
    if user_id is not None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).first()
    result = close.close_seller_month(seller=seller, period=parsed, by=user, task_id=self.request.id or "")
    return result.run.status


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
