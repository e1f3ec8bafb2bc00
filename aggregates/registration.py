"""Registration in OGA's register of employers (απογραφή εργοδότη), G19.

The kind of registered unit (είδος απογραφόμενης μονάδας) is 99 for a company and
98 for a natural person (004 §II.7); the seed reports companies registered as 98.
[P] The ledger checks the unit kind against the legal form when both are known.
"""

from __future__ import annotations

from aggregates.errors import BadInput

COMPANY = "99"
NATURAL_PERSON = "98"
UNIT_KINDS = (NATURAL_PERSON, COMPANY)

# The unit kind each legal form must be registered with: a sole trader is a natural
# person; the businesses that are not sole traders (004 §II.7: ship co-ownerships,
# ΑΕ, ΕΠΕ, ΟΕ, ΕΕ) are companies.
LEGAL_FORMS = {
    "sole-trader": NATURAL_PERSON,  # ατομική επιχείρηση
    "ship-co-ownership": COMPANY,  # συμπλοιοκτησία
    "ae": COMPANY,  # Α.Ε.
    "epe": COMPANY,  # Ε.Π.Ε.
    "oe": COMPANY,  # Ο.Ε.
    "ee": COMPANY,  # Ε.Ε.
}


def checked_registration(unit_kind: str | None, legal_form: str | None) -> tuple[str | None, str | None]:
    """G19: the unit kind and the legal form, each one of the known ones, and
    agreeing with each other when both are given."""
    if unit_kind is not None and unit_kind not in UNIT_KINDS:
        raise BadInput("--unit-kind", f"{unit_kind!r} is not 98 (natural person) or 99 (company) (G19)")
    if legal_form is not None and legal_form not in LEGAL_FORMS:
        raise BadInput("--legal-form", f"{legal_form!r} is not one of {', '.join(LEGAL_FORMS)} (G19)")
    if unit_kind is not None and legal_form is not None and LEGAL_FORMS[legal_form] != unit_kind:
        wanted = LEGAL_FORMS[legal_form]
        what = "a company" if wanted == COMPANY else "a natural person"
        raise BadInput("--unit-kind", f"legal form {legal_form} is {what}, registered as {wanted}, "
                                      f"not {unit_kind} (G19)")
    return unit_kind, legal_form
