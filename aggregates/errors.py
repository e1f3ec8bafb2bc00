"""The domain's named errors (σφάλματα), apart from a scheme's ``Rejection``.

A ``Rejection`` (``aggregates.schemes.base``) is not an error: it is a scheme's
refusal of an application, recorded on the arrangement with its reason (A1).
The errors here refuse a command and record nothing.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A refused input or command: names the field and the reason, as
    ``"<field>: <reason>"`` (the one line the CLI prints, exit 2)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class BadInput(DomainError):
    """An input refused for its form or its value (a field, a date, an amount, an
    identifier); the ledger is unchanged."""


class NotAllowed(DomainError):
    """A command the aggregate's current state forbids; the reason names the rule."""


class RejectedTakesNoPayments(NotAllowed, AssertionError):
    """A1/P5: a rejected application is never settled and takes no payment.

    Also an ``AssertionError``, as it was before it had a name: the service layer
    sends a payment to a rejected arrangement to suspense (P5) and settles only
    the others, so reaching it is a caller's bug, and the handlers that take an
    ``AssertionError`` for one (the consumers' message errors) still do."""

    def __init__(self) -> None:
        super().__init__("status", "a rejected application takes no payments")
