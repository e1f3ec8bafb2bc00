"""IKA's checks on the records of an employer's periodic declaration (έλεγχοι αναλυτικών
εγγραφών ΑΠΔ), seed 003, domain §12, K1–K15.

One function per error code (κωδικός λάθους), registered with the seed's Greek title
and the rule it implements; a record carries every code whose condition holds, in
ascending order (K15). Pure functions of the record, the employer, the dated data
(``aggregates.apd_rules``) and the insured person's days already in the insurance
history (K8). Codes 119 and 120 are abolished and never emitted (K6).

``codes_of`` checks one record (the reference); ``declaration_codes`` checks a
declaration's records with the 94 marking across them (K9), and looks the dated data
up once per package, wage period and kind of insured person rather than once per
record (``BATCHED``: the fast path, compared with ``codes_of`` by the tests; off, each
record is checked by ``codes_of``, the baseline of ``python -m bench apd``).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aggregates.apd_rules import ApdRules, Package, RuleDataMissing
from aggregates.wording import N_

OLD_INSURED_BEFORE = date(1993, 1, 1)  # K2
CONTRIBUTION_TOLERANCE = Decimal("1.00")  # K4: 1 euro, no longer 140 (K6)
SUBSIDY_TOLERANCE = Decimal("0.05")  # K14: «± 0,05 λεπτά», read as 0.05 EUR
SUBSIDISED_TYPES = frozenset({"01", "03", "04", "05", "08"})  # K11 b, K13 b
PUBLIC_LEGAL_FORMS = frozenset({"001", "002"})  # K11 c
SUBSIDY_EARNINGS_LIMIT = Decimal("600.00")  # K11 d: no tolerance
EMPLOYER_SUBSIDY_SHARE = Decimal("0.02")  # K12
EMPLOYEE_SUBSIDY_SHARE = Decimal("0.0667")  # K13
EMPLOYEE_SUBSIDY_DAYS = {"03": 25, "04": 15, "05": 13}  # K13 d–f; types 01 and 08 count the record's days (c)
ABOLISHED = frozenset({119, 120})  # K6
BATCHED = True
RETROACTIVE = "09"  # K10: «αναδρομικά»


@dataclass(frozen=True, slots=True)
class Record:
    """One record of an ΑΠΔ (αναλυτική εγγραφή), K1; the file's fields (interfaces §2.5)."""

    record: str
    amka: str
    insured_since: date
    package: str
    earnings_type: str
    wage_period: str  # field 33, YYYY-MM
    from_date: date  # field 34
    to_date: date  # field 35
    days: int
    earnings: Decimal  # E
    contributions: Decimal  # C
    employer_subsidy: Decimal  # Se
    employee_subsidy: Decimal  # Sw

    @property
    def old_insured(self) -> bool:
        """K2: insured before 1993-01-01."""
        return self.insured_since < OLD_INSURED_BEFORE


@dataclass(frozen=True, slots=True)
class Employer:
    """What the checks read of the employer (K1, K11 c)."""

    legal_form: str
    public_like: bool


@dataclass(frozen=True, slots=True)
class Terms:
    """The dated data for one package, wage period and kind of insured person (K3, K5, K13)."""

    package: Package
    rate: Decimal
    ceiling: Decimal | None  # K5; None: not configured, earnings count as below it (interfaces §1.4)
    calendar_days: int  # K8
    daily_wage: Decimal | None  # K13, looked up only when a check needs it

    def wage(self, record: Record) -> Decimal:
        if self.daily_wage is None:
            raise RuleDataMissing(f"records[record={record.record}].employee_subsidy", N_(
                "no unskilled worker's daily wage is configured for wage period {period} (K13)").format(
                period=record.wage_period))
        return self.daily_wage


def terms_of(record: Record, rules: ApdRules) -> Terms:
    """The dated data the checks of ``record`` read; refused when its package has no
    rate for its wage period (K3)."""
    field_name = f"records[record={record.record}].package"
    package = rules.package(record.package, field_name)
    period = record.wage_period
    ceiling = (rules.old_ceiling if record.old_insured else rules.new_ceiling).at(period)
    year, month = int(period[:4]), int(period[5:])
    return Terms(package, rules.rate(record.package, period, field_name), ceiling, monthrange(year, month)[1],
                 rules.daily_wage.at(period))


@dataclass(frozen=True, slots=True)
class Check:
    """What a check reads: the record, its terms, the employer, and the insured person's
    days for the same wage period already in the insurance history (K8)."""

    record: Record
    terms: Terms
    employer: Employer
    days_in_history: int
    rules: ApdRules

    @property
    def above_ceiling(self) -> bool:
        ceiling = self.terms.ceiling
        return ceiling is not None and self.record.earnings > ceiling

    def contributions_wrong(self) -> bool:
        """K4: |C − expected| > 1.00 on the unrounded product; above the ceiling the
        expected amount is the ceiling × rate (K5 [P])."""
        r, t = self.record, self.terms
        base = t.ceiling if self.above_ceiling else r.earnings
        assert base is not None
        return abs(r.contributions - base * t.rate) > CONTRIBUTION_TOLERANCE


@dataclass(frozen=True)
class ErrorCode:
    code: int
    title: str  # the seed's own words
    rule: str
    holds: Callable[[Check], bool]


CODES: list[ErrorCode] = []


def error_code(code: int, title: str, rule: str) -> Callable[[Callable[[Check], bool]], Callable[[Check], bool]]:
    def register(holds: Callable[[Check], bool]) -> Callable[[Check], bool]:
        assert code not in ABOLISHED
        CODES.append(ErrorCode(code, title, rule, holds))
        CODES.sort(key=lambda c: c.code)  # K15: ascending, whatever the order below
        return holds

    return register


@error_code(52, "Ημερομηνίες απασχόλησης (πεδία 34, 35)", "K10")
def dates_of_employment(c: Check) -> bool:
    """The seed does not state 52's condition: a configured trigger decides, told
    whether dates after 2000-01-01 are allowed in fields 34 and 35 (type 09, K10)."""
    trigger = c.rules.trigger_52
    return trigger is not None and trigger(c.record, c.employer, c.record.earnings_type == RETROACTIVE)


@error_code(70, "Οι συνολικές εισφορές δεν συμφωνούν με το γινόμενο Αποδοχές επί % του πακέτου κάλυψης",
            "K4, K5")
def contributions_disagree(c: Check) -> bool:
    return c.record.old_insured and not c.above_ceiling and c.contributions_wrong()


@error_code(79, "Οι συνολικές εισφορές παλαιού ασφαλισμένου (υπαγωγή στην ασφάλιση πριν την 1/1/1993) που "
                "υπερβαίνει το πλαφόν δεν είναι σωστές", "K4, K5")
def old_insured_above_ceiling(c: Check) -> bool:
    return c.record.old_insured and c.above_ceiling and c.contributions_wrong()


@error_code(82, "Οι συνολικές εισφορές μιας εγγραφής ασφαλισμένου είναι μηδέν (για νέους ασφαλισμένους)", "K7")
def new_insured_zero_contributions(c: Check) -> bool:
    return not c.record.old_insured and not c.record.contributions


@error_code(94, "Εγγραφή ασφαλισμένου για την ίδια μισθολογική περίοδο (επισήμανση εγγραφών χωρίς ημέρες "
                "ασφάλισης)", "K9")
def code_94(c: Check) -> bool:
    """The trigger only: the marking of the insured person's records without insurance
    days for the same period is ``declaration_codes``'."""
    trigger = c.rules.trigger_94
    return trigger is not None and trigger(c.record, c.employer)


@error_code(122, "Οι ημέρες ασφάλισης είναι περισσότερες από τις ημερολογιακές του μήνα (ασφ. στην ιστορία)",
            "K8")
def more_days_than_the_month(c: Check) -> bool:
    return c.record.days + c.days_in_history > c.terms.calendar_days


@error_code(140, "Οι συνολικές εισφορές δεν συμφωνούν με το γινόμενο Αποδοχές επί % του Πακέτου Κάλυψης "
                 "(Νέοι Ασφαλισμένοι πάνω από το όριο)", "K4, K5")
def new_insured_above_ceiling(c: Check) -> bool:
    return not c.record.old_insured and c.above_ceiling and c.contributions_wrong()


@error_code(141, "Οι συνολικές εισφορές δεν συμφωνούν με το γινόμενο Αποδοχές επί % του Πακέτου Κάλυψης "
                 "(Νέοι Ασφαλισμένοι κάτω από το όριο)", "K4, K5")
def new_insured_below_ceiling(c: Check) -> bool:
    return not c.record.old_insured and not c.above_ceiling and c.contributions_wrong()


@error_code(150, "Έχει συμπληρωθεί ποσό επιδότησης εργοδοτικής εισφοράς σε εγγραφή που δεν πληροί τις "
                 "προϋποθέσεις", "K11")
def employer_subsidy_not_due(c: Check) -> bool:
    r = c.record
    if r.employer_subsidy <= 0:
        return False
    subsidised = r.earnings_type in SUBSIDISED_TYPES
    return (not c.terms.package.main_pension  # (a)
            or not subsidised  # (b)
            or c.employer.legal_form in PUBLIC_LEGAL_FORMS or c.employer.public_like  # (c)
            or r.earnings > SUBSIDY_EARNINGS_LIMIT)  # (d), with (b) false: a subsidised type


@error_code(151, "Λανθασμένος υπολογισμός ποσού επιδότησης εργοδοτικής εισφοράς", "K12, K14")
def employer_subsidy_too_high(c: Check) -> bool:
    r = c.record
    return (r.earnings_type in SUBSIDISED_TYPES
            and r.employer_subsidy - r.earnings * EMPLOYER_SUBSIDY_SHARE > SUBSIDY_TOLERANCE)


@error_code(152, "Λανθασμένος υπολογισμός επιδότησης εργατικής εισφοράς", "K13, K14")
def employee_subsidy_wrong(c: Check) -> bool:
    r = c.record
    if r.employee_subsidy <= 0:
        return False
    if not c.terms.package.ika_main_pension or r.earnings_type not in SUBSIDISED_TYPES:  # (a), (b)
        return True
    days = EMPLOYEE_SUBSIDY_DAYS.get(r.earnings_type, r.days)  # (c)–(f)
    return r.employee_subsidy - days * c.terms.wage(r) * EMPLOYEE_SUBSIDY_SHARE > SUBSIDY_TOLERANCE


TITLES: Mapping[int, str] = {c.code: c.title for c in CODES}


def codes_of(record: Record, employer: Employer, rules: ApdRules, days_in_history: int = 0) -> tuple[int, ...]:
    """K15: every code whose condition holds for one record, ascending (the reference)."""
    check = Check(record, terms_of(record, rules), employer, days_in_history, rules)
    return tuple(c.code for c in CODES if c.holds(check))


History = Mapping[tuple[str, str], int]  # (ΑΜΚΑ, wage period) → insurance days already in the history


def declaration_codes(records: Sequence[Record], employer: Employer, rules: ApdRules,
                      history: History) -> dict[str, tuple[int, ...]]:
    """Every record's codes (K15), with the 94 marking (K9): when one of an insured
    person's records for a wage period is flagged 94, so is each of the person's
    records for that period whose earnings type has no insurance days.

    The dated data is looked up once per package, wage period and kind of insured
    person (``terms_of``, the same for all records that share them)."""
    if not BATCHED:
        plain = {r.record: codes_of(r, employer, rules, history.get((r.amka, r.wage_period), 0)) for r in records}
        return _marked_94(records, plain, rules.types_without_days)
    terms: dict[tuple[str, str, bool], Terms] = {}
    codes: dict[str, tuple[int, ...]] = {}
    for record in records:
        key = (record.package, record.wage_period, record.old_insured)
        found = terms.get(key)
        if found is None:
            found = terms[key] = terms_of(record, rules)
        check = Check(record, found, employer, history.get((record.amka, record.wage_period), 0), rules)
        codes[record.record] = tuple(c.code for c in CODES if c.holds(check))
    return _marked_94(records, codes, rules.types_without_days)


def _marked_94(records: Sequence[Record], codes: dict[str, tuple[int, ...]],
               types_without_days: frozenset[str]) -> dict[str, tuple[int, ...]]:
    flagged = {(r.amka, r.wage_period) for r in records if 94 in codes[r.record]}
    if not flagged:
        return codes
    for r in records:
        if (r.amka, r.wage_period) in flagged and r.earnings_type in types_without_days and 94 not in codes[r.record]:
            codes[r.record] = tuple(sorted((*codes[r.record], 94)))
    return codes
