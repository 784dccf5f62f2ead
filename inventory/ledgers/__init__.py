"""Ledger files (SPEC §6): schemas of the six kinds and streaming readers. Pure: no Django here.

The sub-package also holds the ledgers' Django side, imported only by name: ``imports`` (upload, check,
store; its Celery task), ``views`` and ``urls`` (seller pages), ``checks`` (stock findings) and
``facts`` (parsed rows to the fee rules' facts, pure)."""

from .errors import LedgerFileError, RowError
from .readers import (
    DEFAULT_MAX_ERRORS,
    LedgerStream,
    ValidationReport,
    header_key,
    iter_ledger_rows,
    open_ledger,
    read_ledger,
    validate_ledger,
)
from .schemas import (
    AT_COST_SERVICE_CODES,
    INBOUND_LINES,
    LEDGER_KINDS,
    PER_UNIT_SERVICE_CODES,
    RECEIVING_SERVICE_INPUTS,
    RECEIVING_SERVICES,
    SCHEMAS,
    VAS_SERVICE_CODES,
    Column,
    ColumnType,
    InboundRow,
    LedgerRow,
    LedgerSchema,
    OutboundRow,
    ReceivingRow,
    StockRow,
    TaxRow,
    VasRow,
    get_schema,
)
from .sources import DEFAULT_MAX_BYTES, DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_UNCOMPRESSED_BYTES

__all__ = [
    "AT_COST_SERVICE_CODES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_COMPRESSION_RATIO",
    "DEFAULT_MAX_ERRORS",
    "DEFAULT_MAX_UNCOMPRESSED_BYTES",
    "INBOUND_LINES",
    "LEDGER_KINDS",
    "PER_UNIT_SERVICE_CODES",
    "RECEIVING_SERVICES",
    "RECEIVING_SERVICE_INPUTS",
    "SCHEMAS",
    "VAS_SERVICE_CODES",
    "Column",
    "ColumnType",
    "InboundRow",
    "LedgerFileError",
    "LedgerRow",
    "LedgerSchema",
    "LedgerStream",
    "OutboundRow",
    "ReceivingRow",
    "RowError",
    "StockRow",
    "TaxRow",
    "ValidationReport",
    "VasRow",
    "get_schema",
    "header_key",
    "iter_ledger_rows",
    "open_ledger",
    "read_ledger",
    "validate_ledger",
]
