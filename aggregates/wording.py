"""The domain's sentences (reasons) are English templates marked for translation.

A reason the domain gives (why a payment waits in suspense, why a debtor is not
clear, why an arrangement was lost or rejected) is a JSON value, written in
English as interfaces §1.1 has it; human output shows it in the reader's
language. So each is built from a template marked ``N_`` with named fields,
``N_("debtor {afm} owes nothing outside arrangements (P2)").format(afm=afm)``:
Babel extracts the template into the catalogue, and the entrypoints match a
reason, stored or new, against the catalogue's templates to translate it.
Fields holding money are written ``0.00``; a field holding other reasons is
named ``reason`` (one) or ``reasons`` (joined by ``"; "``).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it here."""
    return message
