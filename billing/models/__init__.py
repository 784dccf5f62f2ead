"""Billing's models (SPEC §9, §10): invoices and their lines, close runs; credit notes, payments and
disputes come in their own modules."""

from .close import CloseRun
from .figures import SellerFigures
from .invoices import MONEY, Invoice, InvoiceLine, IssuedDocumentError

__all__ = ["MONEY", "CloseRun", "Invoice", "InvoiceLine", "IssuedDocumentError", "SellerFigures"]
