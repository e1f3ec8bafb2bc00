"""Importing a file of commands, a fund's transfers or a bank's payments (interfaces
§2.1, §2.2): all or nothing.

Every line's command runs in one unit of work, committed once after the last, so
a line the ledger refuses (a ``DomainError``: a bad ΑΦΜ check digit, an amount of
zero, a D4 transfer-id clash) leaves nothing of the file recorded, and the
operator can fix that line and import the same file again. A well-formed bank
payment is never refused (P5: suspense); its file is all or nothing too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aggregates.errors import DomainError
from ledger.application import Ledger
from ledger.commands import CorrectionInput, DeclarationInput, Outcome, PaymentInput, RecallInput, TransferInput
from ledger.errors import BadInput
from ledger.handlers.apd import declaration_step
from ledger.handlers.common import committed
from ledger.handlers.fund_corrections import correct_into
from ledger.handlers.payments import payment_into, prefetch_payments
from ledger.handlers.recalls import recall_into
from ledger.handlers.transfers import prefetch_transfers, transfer_into
from ledger.unit_of_work import UnitOfWork

C = TypeVar("C")
# A file's commands, each with the number of the line it was read from.
Lines = Sequence[tuple[int, C]]
Progress = Callable[[], None]


# The use case of each inbound command (a file's line, a Kafka message: interfaces §2.1, §2.2).
STEPS: dict[type, Callable[[UnitOfWork, Any], Outcome]] = {
    PaymentInput: payment_into, RecallInput: recall_into, TransferInput: transfer_into, CorrectionInput: correct_into,
    DeclarationInput: declaration_step,
}


def command_into(uow: UnitOfWork, command: Any) -> Outcome:
    """A payment or its recall (O3), a transfer or its correction (O4), applied."""
    return STEPS[type(command)](uow, command)


def prefetch_payments_of(uow: UnitOfWork, commands: Sequence[Any]) -> None:
    prefetch_payments(uow, [c for c in commands if isinstance(c, PaymentInput)])


def prefetch_transfers_of(uow: UnitOfWork, commands: Sequence[Any]) -> None:
    prefetch_transfers(uow, [c for c in commands if isinstance(c, TransferInput)])


def import_transfers(ledger: Ledger, lines: Lines[Any], progress: Progress | None = None) -> dict[str, int]:
    """D2/D4, O4: every transfer or correction of a fund's file, or none; how many had each outcome."""
    return import_all(ledger, lines, prefetch_transfers_of, command_into, progress)


def import_payments(ledger: Ledger, lines: Lines[Any], progress: Progress | None = None) -> dict[str, int]:
    """P1–P5, O3: every payment or recall of a bank's file, or none; how many had each outcome."""
    return import_all(ledger, lines, prefetch_payments_of, command_into, progress)


def import_all(
    ledger: Ledger,
    lines: Lines[C],
    prefetch: Callable[[UnitOfWork, Sequence[C]], None],
    step: Callable[[UnitOfWork, C], Outcome],
    progress: Progress | None = None,
) -> dict[str, int]:
    """Run ``step`` for each line's command in one unit of work (what they read
    ``prefetch``ed first, as a Kafka batch does), then commit once; another writer
    saving first makes the whole file run again on what it saved (``committed``).
    A refused line raises ``BadInput("line N", "<field>: <reason>")`` and nothing
    is saved: what it and the lines before it changed is dropped with the unit of
    work, never committed."""
    def every_line(uow: UnitOfWork) -> dict[str, int]:
        prefetch(uow, [command for _, command in lines])
        counts: dict[str, int] = {}
        for number, command in lines:
            try:
                status = step(uow, command).status
            except DomainError as error:
                raise BadInput(f"line {number}", str(error)) from None
            counts[status] = counts.get(status, 0) + 1
            if progress is not None:
                progress()
        return counts

    return committed(ledger, every_line)
