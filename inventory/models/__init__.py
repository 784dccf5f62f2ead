"""The inventory app's models, by sub-domain (SPEC §3–§6); operators, warehouses and service lines are base
models (``portal.models``). Everything is importable from ``inventory.models`` as before."""

from .catalog import EU_COUNTRIES, Certificate, DestinationRule, Sku, SkuImportJob, destination_of
from .inbound import (
    InboundCarton,
    InboundLine,
    InboundOrder,
    OrderAttachment,
    OrderDocument,
    OrderEvent,
    ReceivingDiscrepancy,
    StockLevel,
    document_upload_path,
)
from .jobs import ExportJob, export_upload_path
from .ledgers import (
    ClosedPeriod,
    CustomsTaxRow,
    InboundWeightRow,
    LedgerFile,
    LedgerReplacement,
    LedgerRowBase,
    OutboundParcelRow,
    ReceivingServiceRow,
    StockLedgerRow,
    VasRow,
    replaced_rows_index,
    rows_page_index,
)

__all__ = [
    "EU_COUNTRIES",
    "Certificate",
    "ClosedPeriod",
    "CustomsTaxRow",
    "DestinationRule",
    "ExportJob",
    "InboundCarton",
    "InboundLine",
    "InboundOrder",
    "InboundWeightRow",
    "LedgerFile",
    "LedgerReplacement",
    "LedgerRowBase",
    "OrderAttachment",
    "OrderDocument",
    "OrderEvent",
    "OutboundParcelRow",
    "ReceivingDiscrepancy",
    "ReceivingServiceRow",
    "Sku",
    "SkuImportJob",
    "StockLedgerRow",
    "StockLevel",
    "VasRow",
    "destination_of",
    "document_upload_path",
    "export_upload_path",
    "replaced_rows_index",
    "rows_page_index",
]
