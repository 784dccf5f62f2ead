"""What the ledger store tells the layers above without knowing them (imports point down only).

``warehouse_rows_changed``: warehouse-source rows in force changed (an upload stored, an upload withdrawn),
sent inside the transaction that changed them. ``ledger_file`` is the upload; ``spans`` maps (seller id,
service line id) to [first day, last day] of the rows that changed. Billing marks the drafts of those
months stale."""

from django.dispatch import Signal

warehouse_rows_changed = Signal()
