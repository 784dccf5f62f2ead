"""The seller's catalog: SKUs, their certificates and compliance per destination, SKU import and export."""
