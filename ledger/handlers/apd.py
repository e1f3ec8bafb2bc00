"""Employers' periodic declarations (ΑΠΔ): submit, correct, finalise (domain §12).

Each use case checks the records with IKA's checks (``aggregates.apd_checks``) against
the insured persons' finalised history (K8), records the codes on the declaration
(``aggregates.declaration``), and on finalisation, or on a correction of a finalised
declaration, assesses the declared contributions into the employer's IKA debt
(K21, K22) and updates the insurance history (K19).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from eventsourcing.persistence import Tracking

from aggregates.apd_checks import OLD_INSURED_BEFORE, Employer, History, Record, codes_of, declaration_codes
from aggregates.debtor import Debtor
from aggregates.declaration import Declaration, record_of
from aggregates.errors import NotAllowed
from aggregates.insurance_history import InsuranceMonth
from aggregates.references import valid_afm, valid_amka
from aggregates.transfer import content_digest
from aggregates.wording import N_
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import DeclarationInput, Outcome
from ledger.errors import NotFound, TransferConflict
from ledger.handlers.common import committed, effective_date
from ledger.handlers.credit import apply_credit
from ledger.handlers.transfers import suspend_new_items
from ledger.unit_of_work import UnitOfWork


def submit_declaration(ledger: Ledger, message: DeclarationInput, business_date: date | None = None,
                       tracking: Tracking | None = None) -> tuple[str, Declaration]:
    """``declaration_into`` committed (``committed``: retried on a conflict)."""
    return committed(ledger, lambda uow: declaration_into(uow, message, business_date), tracking)


def declaration_into(uow: UnitOfWork, message: DeclarationInput,
                     business_date: date | None) -> tuple[str, Declaration]:
    """K1, K15: record an ΑΠΔ with its records' codes; the same again changes nothing
    (``"duplicate"``), other content under the same id is refused (D4)."""
    if business_date is not None:
        inputs.plausible_date(business_date, "--date", uow.settings.limits)
    day = effective_date(uow, business_date)
    valid_afm(message.employer_afm, "employer_afm")
    records = identified(message.records)
    digest = content_digest({"employer_afm": message.employer_afm, "legal_form": message.legal_form,
                             "public_like": message.public_like, "submitted_on": message.submitted_on,
                             "records": records})
    existing = uow.get(Declaration, Declaration.create_id(message.apd_id))
    if existing is not None:
        if existing.digest == digest:
            return "duplicate", existing
        raise TransferConflict("apd_id", f"ΑΠΔ {message.apd_id} was already recorded with other content (D4)")
    employer = uow.get(Debtor, Debtor.create_id(message.employer_afm))
    if employer is None:
        raise NotFound("employer_afm", f"no debtor {message.employer_afm}: register the employer first "
                                       "(`ledger debtor add`)")
    checked = [record_of(r) for r in records]
    codes = declaration_codes(checked, Employer(message.legal_form, message.public_like), uow.settings.apd,
                              history_of(uow, message.apd_id, checked))
    declaration = Declaration.submit(message.apd_id, message.employer_afm, message.legal_form, message.public_like,
                                     message.submitted_on, records, codes, digest, day)
    uow.add(declaration)
    employer.file_declaration(message.apd_id, day)
    return "recorded", declaration


def declaration_step(uow: UnitOfWork, command: DeclarationInput) -> Outcome:
    """``declaration_into`` as a line of a file or a ``keao.apd`` message (interfaces §2.5)."""
    status, declaration = declaration_into(uow, command, None)
    return Outcome(status, declaration.employer_afm)


def correct_declaration(ledger: Ledger, apd_id: str, records: Sequence[Mapping[str, Any]],
                        business_date: date | None = None) -> Declaration:
    """K18, K19, K22: each record replaces the one with its id; all are checked again
    (a correction can change another record's 94 marking); a finalised declaration's
    records enter or leave the insurance history and its differences are assessed."""
    def step(uow: UnitOfWork) -> Declaration:
        declaration = declaration_of(uow, apd_id)
        day = dated(uow, business_date)
        corrected = {r["record"]: r for r in identified(records)}
        current = {**declaration.records, **corrected}
        codes = checked_codes(uow, declaration, current)
        moves = history_moves(declaration, current, codes, declaration.overrides, corrected) \
            if declaration.finalised_on is not None else ([], [])
        assessed = declaration.correct(list(corrected.values()), codes, [r for r, _ in moves[0]],
                                       [r for r, _ in moves[1]], day)
        move_history(uow, declaration, *moves, day)
        assess(uow, declaration, assessed, day)
        return declaration

    return committed(ledger, step)


def finalise_declaration(ledger: Ledger, apd_id: str, overrides: Mapping[str, str],
                         business_date: date | None = None) -> Declaration:
    """K18–K21: checked again against the history as it is now; the records without
    codes, and those a K20 override lets through, enter the insurance history; the
    declared contributions are assessed, whatever the codes (K22)."""
    def step(uow: UnitOfWork) -> Declaration:
        declaration = declaration_of(uow, apd_id)
        day = dated(uow, business_date)
        codes = checked_codes(uow, declaration, declaration.records)
        checked_overrides(uow, declaration, codes, overrides)
        entered, _ = history_moves(declaration, declaration.records, codes, overrides, {})
        assessed = declaration.finalise(codes, overrides, [r for r, _ in entered], day)
        move_history(uow, declaration, entered, [], day)
        assess(uow, declaration, assessed, day)
        return declaration

    return committed(ledger, step)


# -- steps ------------------------------------------------------------------------------


def identified(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """D1: each record's ΑΜΚΑ with its check digit, else bad input naming the record."""
    for r in records:
        valid_amka(r["amka"], f"records[record={r['record']}].amka")
    return [dict(r) for r in records]


def declaration_of(uow: UnitOfWork, apd_id: str) -> Declaration:
    declaration = uow.get(Declaration, Declaration.create_id(apd_id))
    if declaration is None:
        raise NotFound("APD_ID", f"no ΑΠΔ {apd_id}")
    return declaration


def dated(uow: UnitOfWork, business_date: date | None) -> date:
    if business_date is not None:
        inputs.plausible_date(business_date, "--date", uow.settings.limits)
    return effective_date(uow, business_date)


def history_of(uow: UnitOfWork, apd_id: str, records: Iterable[Record]) -> History:
    """K8: each insured person's days for each wage period already in the history,
    from every other declaration's finalised records (one read for all)."""
    keys = {(r.amka, r.wage_period) for r in records}
    uow.prefetch(InsuranceMonth.create_id(*key) for key in keys)  # one query; those loaded before stay
    history = {}
    for key in keys:
        month = uow.get(InsuranceMonth, InsuranceMonth.create_id(*key))
        if month is not None:
            history[key] = month.days_besides(apd_id)
    return history


def checked_codes(uow: UnitOfWork, declaration: Declaration,
                  records: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[int, ...]]:
    checked = [record_of(r) for r in records.values()]
    return declaration_codes(checked, employer_of(declaration), uow.settings.apd,
                             history_of(uow, declaration.apd_id, checked))


def employer_of(declaration: Declaration) -> Employer:
    return Employer(declaration.legal_form, declaration.public_like)


def checked_overrides(uow: UnitOfWork, declaration: Declaration, codes: Mapping[str, Sequence[int]],
                      overrides: Mapping[str, str]) -> None:
    """K20 [P]: a record may be let through with an Insured Data Change Form's reference
    only if it has codes and every one of them goes once its old/new status is the
    other (what the form changes that the register does not show yet): no other error."""
    for record, form in overrides.items():
        if record not in declaration.records:
            raise NotAllowed("--override", f"ΑΠΔ {declaration.apd_id} has no record {record}")
        if not codes[record]:
            raise NotAllowed("--override", f"record {record} has no error to override (K20)")
        checked = record_of(declaration.records[record])
        history = history_of(uow, declaration.apd_id, [checked])
        other = codes_of(with_status_changed(checked), employer_of(declaration), uow.settings.apd,
                         history.get((checked.amka, checked.wage_period), 0))
        if other:
            raise NotAllowed("--override", N_("record {record} has errors {codes} that a change of its old/new "
                                              "status does not explain: it would still have {other} (K20)").format(
                record=record, codes=", ".join(str(c) for c in codes[record]),
                other=", ".join(str(c) for c in other)))


def with_status_changed(record: Record) -> Record:
    """The record of an old insured person as a new one's, or the other way round (K2)."""
    old = record.old_insured
    return replace(record, insured_since=OLD_INSURED_BEFORE if old else date(OLD_INSURED_BEFORE.year - 1, 12, 31))


Move = tuple[str, Mapping[str, Any]]  # a record, and the version of it that enters or leaves the history


def history_moves(declaration: Declaration, current: Mapping[str, Mapping[str, Any]],
                  codes: Mapping[str, Sequence[int]], overrides: Mapping[str, str],
                  corrected: Mapping[str, Mapping[str, Any]]) -> tuple[list[Move], list[Move]]:
    """K19: the records that enter the insurance history (correct now, or let through
    by an override of their current version, K20) and those that leave it (wrong now,
    or replaced by a corrected version: its earlier version leaves, the new enters)."""
    belongs = {r for r in current if not codes[r] or (r in overrides and r not in corrected)}
    entered = [(r, current[r]) for r in current if r in belongs and (r not in declaration.in_history or r in corrected)]
    withdrawn = [(r, declaration.records[r]) for r in declaration.in_history
                 if r not in belongs or r in corrected]
    return entered, withdrawn


def move_history(uow: UnitOfWork, declaration: Declaration, entered: Sequence[Move], withdrawn: Sequence[Move],
                 day: date) -> None:
    """The insured persons' months: what leaves first, then what enters (K8: a
    corrected record counts only in its current version)."""
    for record, fields in withdrawn:
        month = uow.get(InsuranceMonth, InsuranceMonth.create_id(fields["amka"], fields["wage_period"]))
        if month is not None:
            month.withdraw(declaration.apd_id, record, day)
    for record, fields in entered:
        month = uow.get(InsuranceMonth, InsuranceMonth.create_id(fields["amka"], fields["wage_period"]))
        if month is None:
            month = InsuranceMonth.open(fields["amka"], fields["wage_period"], day)
            uow.add(month)
        month.enter(declaration.apd_id, record, fields["days"], day)


def assess(uow: UnitOfWork, declaration: Declaration, items: list[dict[str, Any]], day: date) -> None:
    """K21, K22: the items on the employer's debt; a credit pays its oldest debt (O5)."""
    if not items:
        return
    employer = uow.get(Debtor, Debtor.create_id(declaration.employer_afm))
    assert employer is not None  # it was a debtor when the ΑΠΔ was received, and debtors are never removed
    before = set(employer.items)
    employer.assess(declaration.apd_id, items, day)
    suspend_new_items(uow, employer, [i for key, i in employer.items.items() if key not in before], day)  # ND3
    apply_credit(uow, employer, day)
