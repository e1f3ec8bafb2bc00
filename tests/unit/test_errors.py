"""The domain's named errors: one line naming the field and the reason (the CLI
prints it, exit 2), and the invariants that are bugs, not bad input."""

import pytest

from aggregates.errors import (
    DomainError,
    NotAllowed,
    RejectedTakesNoPayments,
)
from aggregates.references import InvalidIdentifier, valid_afm
from ledger.errors import BadInput, NotFound, TransferConflict
from tests.unit.builders import COVID, RULES, apply, d, item


def test_D1_an_invalid_identifier_is_a_domain_error_naming_its_field():
    with pytest.raises(DomainError) as error:
        valid_afm("090000046", "--afm")
    assert type(error.value) is InvalidIdentifier
    assert (error.value.field, str(error.value)) == ("--afm", f"--afm: {error.value.reason}")


def test_the_service_layer_s_errors_are_domain_errors_worded_alike():
    for cls in (BadInput, NotFound, TransferConflict):
        refusal = cls("items[1].amount", "must be more than zero")
        assert isinstance(refusal, DomainError) and isinstance(refusal, ValueError)
        assert str(refusal) == "items[1].amount: must be more than zero"


def test_A1_P5_settling_a_rejected_application_is_not_allowed():
    rejected = apply(COVID, "2022-02-01", [item("i1", "3000.00", "2020-06-30")])  # after the deadline (C2)
    with pytest.raises(NotAllowed) as error:
        rejected.settle(COVID, d("2022-02-10"), RULES)
    assert type(error.value) is RejectedTakesNoPayments
    assert str(error.value) == "status: a rejected application takes no payments"
    assert isinstance(error.value, AssertionError)  # a caller's bug: the service layer sends such payments to suspense
