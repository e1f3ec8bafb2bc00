"""Pydantic models of the Kafka messages (interfaces §2).

What the schema checks and what it leaves to the ledger
--------------------------------------------------------
The schema decides only whether a message is *readable*: valid UTF-8 JSON, every required
field present with the right JSON type, and every value passing the same strict checks as
the command line (``ledger.inputs``, limits in ``ledger/config/limits.toml``): amounts that
are plain decimals, dates ISO ``YYYY-MM-DD``, text without control characters or
bidirectional marks and within its length. A message failing that raises
:class:`MessageFormatError` and goes to the dead-letter topic; a file line failing it
stops the import before anything is recorded.

Business validity is NOT checked here, so that the ledger can record it. In particular a
bank payment with an amount <= 0 or above the configured maximum, a value date outside the
plausible dates, a currency other than EUR, or a reference with bad RF check digits parses
fine: a payment is a fact, and the ledger keeps it in suspense with the reason (domain
P5). A debt item's amount and due date have no such rule: outside the limits, the message
is malformed. ΑΦΜ and ΑΜΚΑ check digits are the ledger's to judge, with the same functions
as the command line's (``aggregates.references``; domain D4: a rejected transfer is
reported, not silently dropped).

Amounts
-------
Amounts must be JSON *strings* holding a plain decimal (``"120.50"``, ``"-3"``). JSON
numbers are rejected: interfaces §2 says amounts are decimal strings, and a JSON number
has usually been through a binary float somewhere (``0.1 + 0.2``), which is exactly the
error the string rule exists to prevent. Exponents, ``NaN``, ``Infinity``, digits other
than ASCII and more than 2 decimals are rejected too. The parsed value is a ``Decimal``
carrying the digits as sent (no rounding here; rounding to cents is the ledger's rule M1).

Unknown extra fields are ignored, so producers may add fields (interfaces §1.1, "more may
be added") without breaking the consumer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from aggregates.errors import BadInput
from aggregates.payment_forms import FORMS
from ledger import inputs


class MessageFormatError(ValueError):
    """A message that cannot be read. ``problems`` is a list of ``"field: reason"``."""

    def __init__(self, message_type: str, problems: list[str]):
        self.message_type = message_type
        self.problems = problems
        super().__init__(f"malformed {message_type}: " + "; ".join(problems))


def _checked(check: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    """A ``ledger.inputs`` check as a pydantic validator: pydantic names the field,
    the check gives the reason."""

    def validate(value: Any) -> Any:
        try:
            return check(value, "", *args)
        except BadInput as error:
            raise ValueError(error.reason) from None

    return validate


def _decimal_string(check: Callable[..., Decimal]) -> Callable[[Any], Decimal]:
    """``check`` of an amount, after refusing a JSON number (see "Amounts" above)."""
    checked = _checked(check)

    def parse(value: Any) -> Decimal:
        if isinstance(value, bool) or isinstance(value, (int, float)):
            raise ValueError(f'must be a decimal string such as "12.50", not a JSON number ({value!r})')
        return checked(value)

    return parse


def _assume_utc_if_naive(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _check_digits(length: int):
    def check(value: str) -> str:
        if not (len(value) == length and value.isascii() and value.isdigit()):
            raise ValueError(f"{value!r} is not {length} digits")
        return value

    return check


_AS_STRING = PlainSerializer(lambda amount: str(amount), return_type=str, when_used="json")
DecimalString = Annotated[Decimal, BeforeValidator(_decimal_string(inputs.well_formed_amount)), _AS_STRING]
"""A Decimal read from, and written as, a JSON decimal string (any size a payment may have)."""
BoundedAmount = Annotated[Decimal, BeforeValidator(_decimal_string(inputs.amount)), _AS_STRING]
"""A ``DecimalString`` at most the configured maximum."""

IsoDate = Annotated[date, BeforeValidator(_checked(inputs.iso_date))]
PlausibleDate = Annotated[date, BeforeValidator(_checked(inputs.plausible_date))]
NonEmptyStr = Annotated[str, Field(min_length=1)]
Period = Annotated[str, AfterValidator(_checked(inputs.period))]
Afm = Annotated[str, AfterValidator(_check_digits(9))]
Amka = Annotated[str, AfterValidator(_check_digits(11))]


def _text(kind: str, required: bool = True) -> Any:
    """Text of ``kind`` (limits.toml ``[text]``), NFC-normalised; when not
    ``required`` it may be empty (a payment's reference: suspense, P5)."""
    if required:
        return Annotated[str, Field(min_length=1), AfterValidator(_checked(inputs.text, kind))]
    return Annotated[str, AfterValidator(_checked(inputs.optional_text, kind))]


TxId, BankCode, Currency, Name, TransferId = (_text(k) for k in ("tx_id", "bank", "currency", "name", "transfer_id"))
Reason, CorrectionId = _text("reason"), _text("correction_id")
Reference, PayerAfm = _text("reference", required=False), _text("payer_afm", required=False)

Fund = Literal["IKA", "OAEE", "OGA", "ETAA"]
# G10: an OGA payment form, a JSON string (a number is a producer's bug, as elsewhere)
PaymentFormCode = Literal[FORMS]  # type: ignore[valid-type]
DebtKind = Literal[
    "contribution",
    "surcharge",
    "fee",
    "clearing_instalment",
    "insurance_time_recognition",
]


_Message = TypeVar("_Message", bound="KafkaMessageModel")


class KafkaMessageModel(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        str_strip_whitespace=True,
        # Never turn 123 into "123": a number where a string belongs is a producer bug.
        coerce_numbers_to_str=False,
    )

    @classmethod
    def from_bytes(cls: type[_Message], raw: bytes | bytearray | str) -> _Message:
        """Parse a Kafka value; raise :class:`MessageFormatError` naming field and reason."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise MessageFormatError(cls.__name__, describe_validation_error(exc)) from None

    def to_bytes(self) -> bytes:
        """JSON value for Kafka: UTF-8, amounts as decimal strings, dates ISO, no nulls."""
        return self.model_dump_json(exclude_none=True).encode("utf-8")

    def kafka_key(self) -> bytes:
        raise NotImplementedError


class BankPaymentMessage(KafkaMessageModel):
    """``keao.bank-payments`` (interfaces §2.1), key: the reference."""

    tx_id: TxId
    bank: BankCode
    amount: DecimalString  # above the maximum: in suspense (P5)
    currency: Currency
    value_date: IsoDate  # outside the plausible dates: in suspense (P5)
    reference: Reference  # may be empty or invalid: the ledger puts such payments in suspense
    payer_afm: PayerAfm | None = None
    form: PaymentFormCode | None = None  # not one of the four: unreadable (§2.4: dead letter and suspense)

    def kafka_key(self) -> bytes:
        return self.reference.encode("utf-8")


class BankRecallMessage(KafkaMessageModel):
    """A bank's recall of a payment it sent (O3), on ``keao.bank-payments``; the bank
    keys it by the reference of the payment recalled (§2.1), which the message does not
    carry: replayed from a file (``--to-kafka``) it is keyed by its tx id."""

    type: Literal["reversal"]
    tx_id: TxId
    bank: BankCode
    reason: Reason
    value_date: PlausibleDate  # the day the bank took it back: the recall's business date

    def kafka_key(self) -> bytes:
        return self.tx_id.encode("utf-8")


class Debtor(KafkaMessageModel):
    afm: Afm
    name: Name
    amka: Amka | None = None


class DebtItem(KafkaMessageModel):
    period: Period
    kind: DebtKind
    amount: BoundedAmount
    due_date: PlausibleDate
    form: PaymentFormCode | None = None  # G10: an OGA item's; the fund's is checked by the ledger


class FundTransferMessage(KafkaMessageModel):
    """``keao.fund-transfers`` (interfaces §2.2), key: the debtor's ΑΦΜ."""

    transfer_id: TransferId
    fund: Fund
    debtor: Debtor
    items: Annotated[list[DebtItem], Field(min_length=1)]
    # ISO 8601 string only (strict: no Unix numbers). Without an offset it is taken as
    # UTC, because refusing a debt transfer over a missing offset would lose the debt.
    sent_at: Annotated[datetime, Field(strict=True), AfterValidator(_assume_utc_if_naive)]

    def kafka_key(self) -> bytes:
        return self.debtor.afm.encode("utf-8")


class DebtorRef(KafkaMessageModel):
    afm: Afm


class CorrectedItem(KafkaMessageModel):
    period: Period
    kind: DebtKind
    amount: BoundedAmount | None = None  # the new amount (amend); none to cancel


class FundCorrectionMessage(KafkaMessageModel):
    """A fund's cancellation or amendment of items it transferred (O4), on
    ``keao.fund-transfers``; key: the debtor's ΑΦΜ."""

    action: Literal["cancel", "amend"]
    correction_id: CorrectionId
    transfer_id: TransferId
    fund: Fund
    debtor: DebtorRef
    items: Annotated[list[CorrectedItem], Field(min_length=1)]
    sent_at: Annotated[datetime, Field(strict=True), AfterValidator(_assume_utc_if_naive)]

    def kafka_key(self) -> bytes:
        return self.debtor.afm.encode("utf-8")


class _Topic:
    """The messages of one inbound topic: read as the kind its ``marker`` field names
    (``kinds``), else as its plain kind (a payment, a transfer: without the field)."""

    def __init__(self, name: str, marker: bytes, plain: type[KafkaMessageModel],
                 kinds: type[KafkaMessageModel]):
        self.__name__ = name
        self.marker = marker
        self.plain = plain
        self.kinds = kinds

    def from_bytes(self, raw: bytes | bytearray | str) -> KafkaMessageModel:
        data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        # The marker's name in the bytes first (a plain message never has it): most
        # messages are plain, and parsing them twice would cost a third of a batch's parse.
        if self.marker in data:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None  # not JSON: the plain kind's parse says so
            if isinstance(parsed, dict) and self.marker.strip(b'"').decode() in parsed:
                return self.kinds.from_bytes(data)
        return self.plain.from_bytes(data)


# §2.1: a payment, or with ``"type": "reversal"`` a recall (O3); §2.2: a transfer, or
# with ``"action"`` a correction (O4).
BANK_PAYMENTS_TOPIC = _Topic("BankPaymentMessage", b'"type"', BankPaymentMessage, BankRecallMessage)
FUND_TRANSFERS_TOPIC = _Topic("FundTransferMessage", b'"action"', FundTransferMessage, FundCorrectionMessage)


class LedgerEventMessage(KafkaMessageModel):
    """``keao.ledger-events`` (interfaces §2.3), key: the aggregate id.

    ``payload`` is the event's own fields; build it with amounts as Decimal and dates as
    date: JSON output writes them as decimal strings and ISO dates.
    """

    event_id: NonEmptyStr
    type: NonEmptyStr
    aggregate_id: NonEmptyStr
    aggregate_version: Annotated[int, Field(ge=1, strict=True)]
    position: Annotated[int, Field(ge=0, strict=True)]
    business_date: IsoDate
    recorded_at: Annotated[AwareDatetime, Field(strict=True)]
    payload: dict[str, Any]

    def kafka_key(self) -> bytes:
        return self.aggregate_id.encode("utf-8")

    def to_bytes(self) -> bytes:
        # Keep nulls here: a payload field that is None is information.
        return self.model_dump_json().encode("utf-8")


class RefundOrderMessage(KafkaMessageModel):
    """``keao.refunds`` (interfaces §2.6), key: the ΑΦΜ (of the payer, when the bank gave
    it, or of the debtor), else the bank's transaction id. ``refund_id`` is the same on
    every re-send: the bank drops repeats by it."""

    refund_id: NonEmptyStr
    source: Literal["suspense", "credit"]  # O2: a payment in suspense; O5: a debtor's credit
    afm: str | None = None
    tx_id: str | None = None  # the payment refunded (suspense)
    bank: str | None = None
    amount: DecimalString
    iban: NonEmptyStr
    reason: NonEmptyStr
    ordered_on: IsoDate
    actor: str | None = None  # O1

    def kafka_key(self) -> bytes:
        return (self.afm or self.tx_id or self.refund_id).encode("utf-8")


class NoticeItemMessage(KafkaMessageModel):
    """One item of a notice, as frozen at issue (N5)."""

    item_id: NonEmptyStr
    fund: NonEmptyStr
    period: NonEmptyStr
    kind: NonEmptyStr
    due_date: IsoDate
    amount: DecimalString
    surcharges: DecimalString
    paid: DecimalString
    outstanding: DecimalString


class NoticeMessage(KafkaMessageModel):
    """``keao.notices`` (interfaces §2.6), key: the debtor's ΑΦΜ. An issued notice for
    the print and e-mail services (N3, N5), its content as frozen at issue;
    ``notice_id`` is the same on every re-send: the services drop repeats by it."""

    notice_id: NonEmptyStr
    kind: Literal["invitation", "individual_notice", "information"]
    afm: NonEmptyStr
    name: NonEmptyStr
    service: str | None = None
    identity_code: NonEmptyStr
    issued_on: IsoDate
    items: list[NoticeItemMessage]
    total: DecimalString
    period_days: int | None = None  # N4: the days it gives, from the day after delivery
    fund: str | None = None  # N6: the fund whose debts moved to KEAO
    actor: str | None = None  # O1

    def kafka_key(self) -> bytes:
        return self.afm.encode("utf-8")


class CheckpointMessage(KafkaMessageModel):
    """``keao.checkpoints`` (interfaces §2.6), key: the ledger. A signed checkpoint of
    the hash chain (F2), the document ``ledger checkpoint --json`` prints, which an
    auditor keeps and checks with ``ledger verify --checkpoint``."""

    ledger: NonEmptyStr
    position: int
    link: NonEmptyStr
    recorded_at: NonEmptyStr
    key_id: NonEmptyStr
    signature: NonEmptyStr

    def kafka_key(self) -> bytes:
        return self.ledger.encode("utf-8")


def describe_validation_error(exc: ValidationError) -> list[str]:
    """``["items.0.amount: must be a decimal string …", "value_date: field required"]``."""
    problems = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "<message>"
        reason = error["msg"]
        if error["type"] == "json_invalid":
            reason = f"not valid JSON ({error.get('ctx', {}).get('error', reason)})"
        elif error["type"] == "model_type":
            reason = "must be a JSON object"
        elif reason.startswith("Value error, "):
            reason = reason[len("Value error, "):]
        problems.append(f"{location}: {reason}")
    return problems
