"""The errors the service layer adds to the domain's (exit status 2 at the CLI):
a name that is not in the ledger, a transfer id that clashes. ``BadInput`` is the
domain's (``aggregates.errors``), and so is every refused identifier."""

from __future__ import annotations

from aggregates.errors import BadInput


class TransferConflict(BadInput):
    """D4: a transfer id already recorded with other content."""


class NotFound(BadInput):
    """The named debtor, arrangement or payment is not in the ledger."""


class StoreUnavailable(Exception):
    """The event store ``--db`` / ``LEDGER_DB_URL`` names cannot be opened: a URL of no
    known scheme, a server that does not answer, a role or a schema it does not know, a
    directory that is not there. Shaped as a ``DomainError`` (``"<field>: <reason>"``,
    one line, exit 2 at the CLI, nothing recorded) but not one, nor a ``ValueError``: it
    is the environment's fault, not an input's, and a consumer must not take it for a
    bad message and dead-letter that message. Its reason shows the URL ``masked``."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


__all__ = ["BadInput", "NotFound", "StoreUnavailable", "TransferConflict"]
