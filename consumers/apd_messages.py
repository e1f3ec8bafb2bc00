"""The ΑΠΔ file and ``keao.apd`` message (interfaces §2.5), as ``consumers.messages``
reads the others: readable or refused naming the field, business rules left to
the ledger (the checks' codes are findings recorded on the declaration, not
refusals, K15)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, field_validator

from aggregates.money import money
from consumers.messages import (
    Afm,
    Amka,
    BoundedAmount,
    IsoDate,
    KafkaMessageModel,
    Period,
    PlausibleDate,
    _check_digits,
    _text,
)
from ledger.commands import DeclarationInput

def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"{value} is negative")
    return value


Figure = Annotated[BoundedAmount, AfterValidator(_not_negative)]
RecordId, ApdId = _text("reference"), _text("transfer_id")


class ApdRecord(KafkaMessageModel):
    """One record (αναλυτική εγγραφή), K1."""

    record: RecordId
    amka: Amka
    insured_since: IsoDate
    package: Annotated[str, AfterValidator(_check_digits(3))]
    earnings_type: Annotated[str, AfterValidator(_check_digits(2))]
    wage_period: Period  # field 33
    from_date: Annotated[IsoDate, Field(alias="from")]  # field 34
    to_date: Annotated[IsoDate, Field(alias="to")]  # field 35
    days: Annotated[int, Field(strict=True, ge=0, le=99)]
    earnings: Figure
    contributions: Figure
    employer_subsidy: Figure
    employee_subsidy: Figure

    def stored(self) -> dict[str, Any]:
        """As the declaration stores it: the file's names, in JSON's own types."""
        return {"record": self.record, "amka": self.amka, "insured_since": self.insured_since.isoformat(),
                "package": self.package, "earnings_type": self.earnings_type, "wage_period": self.wage_period,
                "from": self.from_date.isoformat(), "to": self.to_date.isoformat(), "days": self.days,
                "earnings": str(money(self.earnings)), "contributions": str(money(self.contributions)),
                "employer_subsidy": str(money(self.employer_subsidy)),
                "employee_subsidy": str(money(self.employee_subsidy))}


def _unique_records(records: list[ApdRecord]) -> list[ApdRecord]:
    seen: set[str] = set()
    for record in records:
        if record.record in seen:
            raise ValueError(f"record {record.record!r} appears twice")
        seen.add(record.record)
    return records


class ApdMessage(KafkaMessageModel):
    """``keao.apd`` and ``ledger apd submit FILE`` (interfaces §2.5), key: the employer's ΑΦΜ."""

    apd_id: ApdId
    employer_afm: Afm
    legal_form: Annotated[str, AfterValidator(_check_digits(3))]
    public_like: StrictBool
    submitted_on: PlausibleDate
    records: Annotated[list[ApdRecord], Field(min_length=1), AfterValidator(_unique_records)]

    @field_validator("apd_id")
    @classmethod
    def _no_colon(cls, value: str) -> str:
        if ":" in value:  # K21: the assessed items' ids are IKA:<apd_id>:<period>
            raise ValueError("may not contain ':'")
        return value

    def kafka_key(self) -> bytes:
        return self.employer_afm.encode("utf-8")

    def command(self) -> DeclarationInput:
        return DeclarationInput(self.apd_id, self.employer_afm, self.legal_form, self.public_like, self.submitted_on,
                                tuple(r.stored() for r in self.records))


class ApdCorrection(KafkaMessageModel):
    """``ledger apd correct APD_ID FILE``: ``{"records": [...]}`` (K18)."""

    records: Annotated[list[ApdRecord], Field(min_length=1), AfterValidator(_unique_records)]

    def stored(self) -> tuple[dict[str, Any], ...]:
        return tuple(r.stored() for r in self.records)

