"""Billing's models (SPEC §9, §10): invoices and their lines, close runs, credit notes, payments and their
allocations, the sellers' computed figures; disputes come in their own module."""

from .close import CloseRun
from .credit import CreditNote, CreditNoteLine
from .delivery import InvoiceDelivery, InvoiceSend
from .disputes import Dispute, DisputeAttachment, DisputeMessage, PendingAdjustment
from .figures import SellerFigures
from .invoices import MONEY, Invoice, InvoiceLine, IssuedDocumentError
from .payments import Allocation, Payment
from .statements import StatementFile

__all__ = [
    "MONEY",
    "Allocation",
    "CloseRun",
    "CreditNote",
    "CreditNoteLine",
    "Dispute",
    "DisputeAttachment",
    "DisputeMessage",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceLine",
    "InvoiceSend",
    "IssuedDocumentError",
    "Payment",
    "PendingAdjustment",
    "SellerFigures",
    "StatementFile",
]
