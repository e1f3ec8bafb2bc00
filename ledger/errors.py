"""Errors the service layer reports to operators (exit status 2 at the CLI)."""

from __future__ import annotations


class BadInput(ValueError):
    """Bad input: names the field and the reason; the ledger is unchanged."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class TransferConflict(BadInput):
    """D4: a transfer id already recorded with other content."""


class NotFound(BadInput):
    """The named debtor, arrangement or payment is not in the ledger."""
