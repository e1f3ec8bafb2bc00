"""An employer's periodic declaration (Αναλυτική Περιοδική Δήλωση, ΑΠΔ), seed 003, domain §12.

The declaration's records with the codes IKA's checks gave them (``aggregates.apd_checks``,
computed by the caller and recorded, so replay never re-runs a check against data that
has since changed); their corrections, each replacing a record whose earlier version the
history keeps (K18, K22); the finalisation, with the records allowed through by an
Insured Data Change Form (K20); and the assessment of the declared payable contributions
into IKA debt items, one per wage period, and of a correction's differences (K21, K22).

Records are stored as the file gives them, in JSON's own types (amounts and dates as
strings): an ΑΠΔ holds thousands, and so its events stay small and read back as sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.apd_checks import Record
from aggregates.calendar import last_working_day
from aggregates.errors import NotAllowed
from aggregates.events import PinnedTopic
from aggregates.money import ZERO, money

DECLARATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/apd")

PENDING, READY, FINALISED = "pending", "ready", "finalised"  # interfaces §1.4
ASSESSED_FUND, ASSESSED_KIND = "IKA", "contribution"  # K21


def record_of(fields: Mapping[str, Any]) -> Record:
    """A stored record (the file's fields, interfaces §2.5) as the checks read it."""
    return Record(
        fields["record"], fields["amka"], date.fromisoformat(fields["insured_since"]), fields["package"],
        fields["earnings_type"], fields["wage_period"], date.fromisoformat(fields["from"]),
        date.fromisoformat(fields["to"]), fields["days"], Decimal(fields["earnings"]),
        Decimal(fields["contributions"]), Decimal(fields["employer_subsidy"]), Decimal(fields["employee_subsidy"]),
    )


def payable(fields: Mapping[str, Any]) -> Decimal:
    """K21: the record's declared payable contributions, C − Se − Sw."""
    return (Decimal(fields["contributions"]) - Decimal(fields["employer_subsidy"])
            - Decimal(fields["employee_subsidy"]))


def assessment_due_date(period: str) -> date:
    """K21: the last working day of the month after the wage period."""
    year, month = int(period[:4]), int(period[5:])
    return last_working_day(year + month // 12, month % 12 + 1)


class Declaration(Aggregate):
    """One ΑΠΔ, by its submission id."""

    TOPIC = "keao:Declaration"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Submitted(Event, Aggregate.Created):
        apd_id: str
        employer_afm: str
        legal_form: str
        public_like: bool
        submitted_on: date
        records: list[dict[str, Any]]
        codes: dict[str, list[int]]
        digest: str

    class Corrected(Event):
        """K18: records replaced by their corrected versions (the events keep the old
        ones), the codes that changed, what enters or leaves the insurance history
        of a finalised declaration (K19) and the differences assessed (K22)."""

        records: list[dict[str, Any]]
        codes: dict[str, list[int]]
        entered: list[str]
        withdrawn: list[str]
        assessed: list[dict[str, Any]]

        def apply(self, declaration: Declaration) -> None:
            for fields in self.records:
                declaration.records[fields["record"]] = dict(fields)
                declaration.versions[fields["record"]] = declaration.versions.get(fields["record"], 1) + 1
            declaration.take(self.codes, self.entered, self.withdrawn, self.assessed)

    class Finalised(Event):
        """K18–K21: the records checked again (``codes``: those that changed), the
        overrides of K20 with each form's reference, the records entering the
        insurance history and the debt assessed."""

        codes: dict[str, list[int]]
        overrides: dict[str, str]
        entered: list[str]
        assessed: list[dict[str, Any]]

        def apply(self, declaration: Declaration) -> None:
            declaration.finalised_on = self.business_date
            declaration.overrides = {**declaration.overrides, **self.overrides}
            declaration.take(self.codes, self.entered, (), self.assessed)

    def __init__(self, apd_id: str, employer_afm: str, legal_form: str, public_like: bool, submitted_on: date,
                 records: list[dict[str, Any]], codes: dict[str, list[int]], digest: str, business_date: date):
        self.apd_id = apd_id
        self.employer_afm = employer_afm
        self.legal_form = legal_form
        self.public_like = public_like
        self.submitted_on = submitted_on
        self.received_on = business_date
        self.records: dict[str, dict[str, Any]] = {r["record"]: dict(r) for r in records}
        self.codes: dict[str, tuple[int, ...]] = {r: tuple(c) for r, c in codes.items()}
        self.versions: dict[str, int] = {}
        self.digest = digest
        self.finalised_on: date | None = None
        self.overrides: dict[str, str] = {}
        self.in_history: set[str] = set()
        self.assessed: list[dict[str, Any]] = []

    @staticmethod
    def create_id(apd_id: str) -> UUID:
        return uuid5(DECLARATION_NAMESPACE, apd_id)

    @classmethod
    def submit(cls, apd_id: str, employer_afm: str, legal_form: str, public_like: bool, submitted_on: date,
               records: Sequence[dict[str, Any]], codes: Mapping[str, Sequence[int]], digest: str,
               business_date: date) -> Declaration:
        return cls._create(cls.Submitted, id=cls.create_id(apd_id), apd_id=apd_id, employer_afm=employer_afm,
                           legal_form=legal_form, public_like=public_like, submitted_on=submitted_on,
                           records=[dict(r) for r in records], codes={r: list(c) for r, c in codes.items()},
                           digest=digest, business_date=business_date)

    # -- state ------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """interfaces §1.4: ``pending`` while any current record has codes, else ``ready``; ``finalised``."""
        if self.finalised_on is not None:
            return FINALISED
        return PENDING if any(self.codes.values()) else READY

    def current_records(self) -> list[Record]:
        return [record_of(fields) for fields in self.records.values()]

    def take(self, codes: Mapping[str, Sequence[int]], entered: Iterable[str], withdrawn: Iterable[str],
             assessed: Iterable[dict[str, Any]]) -> None:
        self.codes.update({r: tuple(c) for r, c in codes.items()})
        # What leaves first, then what enters: a corrected record still correct does both (K8).
        self.in_history = (self.in_history - set(withdrawn)) | set(entered)
        self.assessed = [*self.assessed, *(dict(item) for item in assessed)]

    def wrong_records(self) -> int:
        """K16: how many records are marked wrong now."""
        return sum(1 for codes in self.codes.values() if codes)

    def period(self) -> str:
        """K16 [P]: the period an ΑΠΔ is for is its latest wage period (earlier ones are retroactive)."""
        return max(fields["wage_period"] for fields in self.records.values())

    # -- assessment (K21, K22) --------------------------------------------------------

    def payable_by_period(self, records: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for fields in (records or self.records).values():
            totals[fields["wage_period"]] = totals.get(fields["wage_period"], ZERO) + payable(fields)
        return totals

    def assessment(self, records: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """K21, K22: per wage period, what the current records (or ``records``) declare
        payable beyond what was assessed already: the first item of a period, then the
        differences (negative: a credit). Nothing when nothing changed, so assessing
        twice assesses once."""
        done: dict[str, Decimal] = {}
        count: dict[str, int] = {}
        for item in self.assessed:
            done[item["period"]] = done.get(item["period"], ZERO) + Decimal(item["amount"])
            count[item["period"]] = count.get(item["period"], 0) + 1
        items = []
        for period, total in sorted(self.payable_by_period(records).items()):
            difference = money(total) - done.get(period, ZERO)
            if difference:
                n = count.get(period, 0)
                suffix = f":{n + 1}" if n else ""
                items.append({"item_id": f"{ASSESSED_FUND}:{self.apd_id}:{period}{suffix}", "period": period,
                              "kind": ASSESSED_KIND, "amount": str(difference),
                              "due_date": assessment_due_date(period).isoformat()})
        return items

    # -- commands ---------------------------------------------------------------------

    def correct(self, records: Sequence[dict[str, Any]], codes: Mapping[str, Sequence[int]], entered: Sequence[str],
                withdrawn: Sequence[str], on: date) -> list[dict[str, Any]]:
        """K18, K22: replace records by id; a finalised declaration assesses the
        differences. Returns the items assessed."""
        unknown = [r["record"] for r in records if r["record"] not in self.records]
        if unknown:
            raise NotAllowed("records", f"ΑΠΔ {self.apd_id} has no record {', '.join(unknown)} (K18)")
        if on < self.received_on:
            raise NotAllowed("--date", f"{on} is before ΑΠΔ {self.apd_id} was received, on {self.received_on}")
        replaced = {**self.records, **{r["record"]: r for r in records}}
        assessed = self.assessment(replaced) if self.finalised_on is not None else []
        changed = {r: list(c) for r, c in codes.items() if tuple(c) != self.codes.get(r)}
        self.trigger_event(self.Corrected, records=[dict(r) for r in records], codes=changed, entered=list(entered),
                           withdrawn=list(withdrawn), assessed=assessed, business_date=on)
        return assessed

    def finalise(self, codes: Mapping[str, Sequence[int]], overrides: Mapping[str, str], entered: Sequence[str],
                 on: date) -> list[dict[str, Any]]:
        """K18–K21: the caller has checked the records again and the overrides
        (``aggregates.apd_checks``, ``overridable``). Returns the items assessed."""
        if self.finalised_on is not None:
            raise NotAllowed("APD_ID", f"ΑΠΔ {self.apd_id} was finalised on {self.finalised_on}")
        if on < self.received_on:
            raise NotAllowed("--date", f"{on} is before ΑΠΔ {self.apd_id} was received, on {self.received_on}")
        assessed = self.assessment()
        changed = {r: list(c) for r, c in codes.items() if tuple(c) != self.codes.get(r)}
        self.trigger_event(self.Finalised, codes=changed, overrides=dict(overrides), entered=list(entered),
                           assessed=assessed, business_date=on)
        return assessed
