"""The errors the service layer adds to the domain's (exit status 2 at the CLI):
a name that is not in the ledger, a transfer id that clashes. ``BadInput`` is the
domain's (``aggregates.errors``), and so is every refused identifier."""

from __future__ import annotations

from aggregates.errors import BadInput


class TransferConflict(BadInput):
    """D4: a transfer id already recorded with other content."""


class NotFound(BadInput):
    """The named debtor, arrangement or payment is not in the ledger."""


__all__ = ["BadInput", "NotFound", "TransferConflict"]
