"""``ledger.handlers.imports``: a file's commands in one unit of work, all or
nothing; a refused line is named by its number (interfaces §2.1, §2.2)."""

from __future__ import annotations

import pytest

from aggregates.references import debtor_identity_code
from ledger.commands import PaymentInput, TransferInput, TransferItem
from ledger.errors import BadInput
from ledger.handlers.close_day import close_day
from ledger.handlers.imports import import_payments, import_transfers
from tests.integration.helpers import AFM, AFM2, BAD_AFM, count, d, debtor, m, transfer


def item(amount: str = "40.00") -> TransferItem:
    return TransferItem("2021-03", "contribution", m(amount), d("2021-04-30"))


def payment(tx_id: str, afm: str = AFM) -> PaymentInput:
    return PaymentInput(tx_id, m("10.00"), d("2021-12-20"), debtor_identity_code(afm), "ALPHA", "EUR")


@pytest.fixture
def opened(ledger):
    """A registered debtor who owes a contribution, on a business date."""
    close_day(ledger, d("2021-12-01"))
    debtor(ledger, AFM)
    transfer(ledger, AFM, "100.00", "2021-04-30", "2021-03", "OAEE-1")
    return ledger


def test_a_refused_transfer_line_leaves_the_lines_before_it_unrecorded(opened):
    """Line 1 changes a debtor already in the store; line 3's refusal drops it."""
    lines = [(1, TransferInput("OGA", AFM, (item(),), transfer_id="OGA-1")),
             (3, TransferInput("OGA", BAD_AFM, (item(),), transfer_id="OGA-2", name="Γεωργίου Ι."))]
    before = count(opened)
    with pytest.raises(BadInput) as refused:
        import_transfers(opened, lines)
    assert str(refused.value) == "line 3: afm: not a valid ΑΦΜ (The number's checksum or check digit is invalid.)"
    assert count(opened) == before
    assert len(opened.debtor(AFM).items) == 1


def test_a_refused_payment_line_leaves_the_applied_payments_before_it_unrecorded(opened):
    lines = [(1, payment("TX-1")), (2, payment("TX-2", AFM2)), (3, payment(" "))]
    before = count(opened)
    with pytest.raises(BadInput) as refused:
        import_payments(opened, lines)
    assert (refused.value.field, refused.value.reason) == ("line 3", "tx_id: required and not blank")
    assert count(opened) == before


def test_a_file_of_commands_is_committed_once_with_each_outcome_counted(opened):
    ticks = []
    lines = [(1, payment("TX-1")), (2, payment("TX-2", AFM2)), (3, payment("TX-1"))]
    before = count(opened)
    assert import_payments(opened, lines, lambda: ticks.append(1)) == {"applied": 1, "suspense": 1, "duplicate": 1}
    assert len(ticks) == 3
    # TX-1: received and paid to the debtor's item (P2); TX-2: received, suspended.
    assert count(opened) - before == 4
