"""Inbound orders: the order form, submission and its estimate, the workflow ops advance, documents (PDF)."""
