"""KEAO's printed documents (notices, clearance certificate, debt table): Greek, A4, PDF."""

from ledger.documents.render import clearance_pdf, debt_table_pdf, notice_pdf

__all__ = ["clearance_pdf", "debt_table_pdf", "notice_pdf"]
