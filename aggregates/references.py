"""Identifiers: ΑΦΜ, ΑΜΚΑ, ISO 11649 payment references (Κωδικός Πληρωμής) and IBANs.

Validation is python-stdnum's; this module only words the errors for operators.
"""

from __future__ import annotations

from stdnum import iban as _iban
from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.gr import amka as _amka
from stdnum.gr import vat as _afm
from stdnum.iso7064 import mod_97_10

from aggregates.errors import BadInput
from aggregates.wording import N_

# python-stdnum's words for what is wrong (``str(error)``), listed so that the
# catalogue has them: a reason quoting one reads in Greek too.
STDNUM_PROBLEMS = (
    N_("The number has an invalid format."),
    N_("The number's checksum or check digit is invalid."),
    N_("The number has an invalid length."),
    N_("One of the parts of the number are invalid or unknown."),
)

DEBTOR_PREFIX = "D"
ARRANGEMENT_PREFIX = "A"


class InvalidIdentifier(BadInput):
    """An identifier that fails its format or check digit; names the field."""


def valid_afm(value: str, field: str = "afm") -> str:
    """D1: a ΑΦΜ of 9 digits whose last is its check digit; never all zeros, whose
    check digit is right but which no one is given."""
    try:
        afm = _afm.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(field, N_("not a valid ΑΦΜ ({reason})").format(reason=error)) from None
    if not afm.strip("0"):
        raise InvalidIdentifier(field, N_("not a valid ΑΦΜ (all zeros)"))
    return afm


def valid_amka(value: str, field: str = "amka") -> str:
    """D1: a ΑΜΚΑ of 11 digits (date of birth and a Luhn check digit)."""
    try:
        return _amka.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(field, N_("not a valid ΑΜΚΑ ({reason})").format(reason=error)) from None


def valid_iban(value: str, field: str = "iban") -> str:
    """O2: a refund goes to an ISO 13616 IBAN (its country's length, its check digits)."""
    try:
        return _iban.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(field, N_("not a valid IBAN ({reason})").format(reason=error)) from None


def creditor_reference(body: str) -> str:
    """C10: an ISO 11649 reference "RF" + 2 check digits + ``body`` (≤ 21 chars)."""
    if not 1 <= len(body) <= 21 or not body.isalnum():
        raise ValueError(f"an RF reference body is 1 to 21 letters or digits: {body!r}")
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def valid_reference(value: str, field: str = "reference") -> str:
    """C10: check digits are validated on every payment."""
    try:
        return iso11649.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(field, N_("not a valid RF reference ({reason})").format(reason=error)) from None


def debtor_identity_code(afm: str) -> str:
    """Ταυτότητα Οφειλέτη (002 §6): pays the debtor's debts outside arrangements."""
    return creditor_reference(DEBTOR_PREFIX + afm)


def arrangement_payment_code(scheme_code: str, afm: str, ordinal: int) -> str:
    """C10: the arrangement's own code, unique by debtor and the debtor's ordinal."""
    return creditor_reference(f"{ARRANGEMENT_PREFIX}{scheme_code}{afm}{ordinal:03d}")


def reference_body(reference: str) -> str:
    return reference[4:]
