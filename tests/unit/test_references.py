"""C10 (ISO 11649 payment references) and D1 (ΑΦΜ, ΑΜΚΑ)."""

import pytest

from aggregates.references import (
    InvalidIdentifier,
    arrangement_payment_code,
    creditor_reference,
    debtor_identity_code,
    reference_body,
    valid_afm,
    valid_amka,
    valid_reference,
)


def iso11649_check_digits(body: str) -> str:
    """An independent ISO 11649 computation: move "RF00" behind the body,
    letters to numbers (A=10 … Z=35), 98 − (n mod 97)."""
    digits = "".join(str(int(c, 36)) for c in (body + "RF00").upper())
    return f"{98 - int(digits) % 97:02d}"


def test_C10_iso_example_reference():
    # The standard's own example: body 539007547034 → RF18539007547034
    assert creditor_reference("539007547034") == "RF18539007547034"
    assert iso11649_check_digits("539007547034") == "18"


def test_C10_arrangement_payment_code_is_rf_with_check_digits():
    code = arrangement_payment_code("650", "090000045", 1)
    # body: A + scheme code + ΑΦΜ + ordinal (3 digits)
    assert code == f"RF{iso11649_check_digits('A650090000045001')}A650090000045001"
    assert code == "RF57A650090000045001"
    assert valid_reference(code) == code
    assert reference_body(code) == "A650090000045001"


def test_C10_codes_are_unique_per_arrangement_and_differ_from_debtor_identity():
    first = arrangement_payment_code("650", "090000045", 1)
    second = arrangement_payment_code("650", "090000045", 2)
    standing = arrangement_payment_code("4152", "090000045", 1)
    identity = debtor_identity_code("090000045")
    assert identity == "RF09D090000045"
    assert len({first, second, standing, identity}) == 4
    for code in (first, second, standing, identity):
        assert code.startswith("RF") and len(code) <= 25
        assert valid_reference(code) == code


@pytest.mark.parametrize(
    "bad",
    [
        "RF58A650090000045001",  # check digits off by one
        "RF57A650090000045002",  # body changed
        "RF57",  # no body
        "XX57A650090000045001",  # not RF
    ],
)
def test_C10_check_digits_validated_on_every_payment(bad):
    with pytest.raises(InvalidIdentifier) as error:
        valid_reference(bad, field="reference")
    assert error.value.field == "reference"


def test_C10_body_of_at_most_21_letters_or_digits():
    assert len(creditor_reference("A" * 21)) == 25
    with pytest.raises(ValueError):
        creditor_reference("A" * 22)
    with pytest.raises(ValueError):
        creditor_reference("A-1")
    with pytest.raises(ValueError):
        creditor_reference("")


def test_D1_afm_check_digit():
    assert valid_afm("090000045") == "090000045"
    with pytest.raises(InvalidIdentifier) as error:
        valid_afm("090000046")
    assert error.value.field == "afm"
    with pytest.raises(InvalidIdentifier):
        valid_afm("12345678")  # 8 digits


def test_D1_amka_luhn_and_birth_date():
    assert valid_amka("01013099997") == "01013099997"
    with pytest.raises(InvalidIdentifier) as error:
        valid_amka("01013099998", field="amka")
    assert error.value.field == "amka"
