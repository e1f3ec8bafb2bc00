"""An arrangement's facts (γεγονότα της ρύθμισης): recorded, and corrected, E1/E2.

The timeline gives the dated facts of an arrangement's course (``Fact``: what
fell due, was paid, missed, surcharged, lost). The arrangement records each one
once as an event, indexed by its key (E1), and when a later input changes the
course (a backdated payment) it records corrections of what it recorded
earlier, never editing it (E2). Here: the course its record gives (V3), what a
recorded fact keeps of its event, which facts a later input can take back and
with which event, and the recording of a course over what is already recorded.
``Arrangement.settle`` is the command that uses them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from aggregates import history
from aggregates.course import Course, Fact
from aggregates.status import Status
from aggregates.timeline import Receipt, Terms, run

if TYPE_CHECKING:
    from aggregates.arrangement import Arrangement
    from aggregates.schemes.base import OpenItem, Scheme
    from aggregates.surcharges import SurchargeRules

# What a recorded fact keeps of its event (``fact_content``), and each fact
# event class's kind, remembered: every event of an arrangement is applied on
# every load (the close of day's profile: 4% of it).
_NOT_CONTENT = frozenset({"originator_id", "originator_version", "timestamp", "key", "actor"})
_FACT_KINDS: dict[type, str] = {}

# Facts that a later input can take back, and the event that records it (E2).
REVERSAL = {
    "InstalmentMissed": "MissCorrected",
    "SurchargeAccrued": "SurchargeReversed",
    "Lapsed": "LapseReversed",
    "Lost": "LossReversed",
    # O3: only a recalled payment takes these back (a backdated one adds facts, never removes them)
    "Paid": "PaymentRecalled",
    "Activated": "ActivationReversed",
    "PaidOff": "PayoffReversed",
    "Completed": "CompletionReversed",
}
# Facts that stay as recorded when a backdated payment ends the arrangement
# before them: an instalment that fell due and is now paid needs no correction.
KEPT_WHEN_GONE = ("InstalmentDue",)
# Facts whose recorded content must follow the truth (beyond existing at all).
CONTENT_TRACKED = ("Paid", "SurchargeAccrued", "Lost")


def fact_key(key: tuple[Any, ...]) -> str:
    """Facts are indexed by a string so that the state stays JSON (snapshots)."""
    return ":".join("" if part is None else str(part) for part in key)


def fact_content(event: Arrangement.FactEvent) -> dict[str, Any]:
    """What the arrangement records of a fact event (``FactEvent.apply``): its
    fields but the library's and the key, and its kind."""
    content = event.__dict__.copy()  # then the few names left out: cheaper than a filtered copy
    for name in _NOT_CONTENT:
        content.pop(name, None)
    cls = type(event)
    kind = _FACT_KINDS.get(cls)
    if kind is None:
        kind = _FACT_KINDS[cls] = cls.fact_kind()
    content["kind"] = kind
    return content


def course_of(
    arrangement: Arrangement,
    scheme: Scheme,
    as_of: date,
    surcharges: SurchargeRules,
    current_items: Sequence[OpenItem] = (),
    new_receipts: Sequence[Receipt] = (),
    recalled: Collection[str] = (),
) -> Course | None:
    """The timeline as of ``as_of`` from what this arrangement recorded (V3), but
    for the payments ``recalled`` (O3: their fact keys)."""
    plan = arrangement.plan()
    if plan is None:
        if arrangement.suspended_until is None or as_of <= arrangement.suspended_until:
            return None
        plan = scheme.plan(arrangement.form(), arrangement.grant(), arrangement.suspended_principal)
    terms = Terms(plan.instalments, plan.starts_on, plan.needs_first_payment, scheme.loss_rule())
    receipts = [
        Receipt(r["tx_id"], r["value_date"], r["amount"])
        for key, r in history.receipts(arrangement).items()
        if r["value_date"] <= as_of and key not in recalled
    ]
    receipts += [r for r in new_receipts if r.value_date <= as_of]
    return run(terms, receipts, as_of, surcharges, scheme.breaches(plan, current_items))


def settle_dates(arrangement: Arrangement, as_of: date, receipts: Sequence[Receipt]) -> tuple[date, date]:
    """The date a settle records the facts up to, and the horizon its course
    runs to: the latest value date of a payment, new (``receipts``) or recorded."""
    # Never settle behind what is already recorded: the business date of a
    # payment may lag the date an application was dated. (Every fact but Paid is in ``facts``.)
    as_of = max([as_of, *(f["business_date"] for f in arrangement.facts.values() if f["kind"] != "Paid")])
    paid_to = history.latest_value_date(arrangement)
    horizon = max([as_of, *(r.value_date for r in receipts), *([paid_to] if paid_to else [])])
    return as_of, horizon


def record_course(arrangement: Arrangement, course: Course, as_of: date) -> None:
    """E1/E2: record every fact of ``course`` up to ``as_of`` (and every payment)
    not yet recorded, and correct recorded facts the course no longer gives."""
    truth = {fact_key(f.key): f for f in course.facts if f.on <= as_of or f.kind == "Paid"}
    # Read once: what each event below changes is the fact of its own key only.
    before = history.facts(arrangement)
    for key, recorded in before.items():
        if key not in truth and recorded["kind"] not in KEPT_WHEN_GONE:
            _reverse(arrangement, key, recorded, as_of)
    for key, fact in truth.items():
        recorded = before.get(key)
        if recorded is None:
            _record(arrangement, key, fact)
        elif fact.kind in CONTENT_TRACKED and _differs(recorded, fact):
            _amend(arrangement, key, recorded, fact, as_of)


def record_new(arrangement: Arrangement, new: Sequence[Fact]) -> None:
    """E1: facts of a course that nothing recorded can hold (``resume.settled``), each recorded."""
    for fact in new:
        _record(arrangement, fact_key(fact.key), fact)


def record_as_credit(arrangement: Arrangement, receipt: Receipt) -> None:
    """ND3: a payment recorded with nothing allocated, all of it held as credit."""
    arrangement.trigger_event(
        arrangement.Paid,
        key=fact_key(("paid", receipt.tx_id)),
        tx_id=receipt.tx_id,
        value_date=receipt.value_date,
        amount=receipt.amount,
        allocation=[],
        credit=receipt.amount,
        business_date=receipt.value_date,
    )


def recall_held(arrangement: Arrangement, recalled: Collection[str], as_of: date) -> None:
    """O3 while suspended (ND3): a recalled payment held as credit is simply taken back."""
    for key in recalled:
        receipt = history.receipt(arrangement, key)
        assert receipt is not None  # recalled: a payment recorded here
        arrangement.trigger_event(arrangement.PaymentRecalled, key=key, effective_on=receipt["value_date"],
                                  business_date=as_of)


def status_from_facts(arrangement: Arrangement) -> str:
    """The status the arrangement's recorded facts give (after a correction, E2)."""
    kinds = {fact["kind"] for fact in arrangement.facts.values()}  # no Paid among them: the recent part is enough
    for kind, status in (("Lost", Status.LOST), ("Completed", Status.COMPLETED), ("Lapsed", Status.LAPSED)):
        if kind in kinds:
            return status.value
    if "Activated" in kinds:
        return Status.ACTIVE.value
    if arrangement.instalments:
        return (Status.APPLIED if arrangement.needs_first_payment else Status.ACTIVE).value
    return (Status.SUSPENDED if arrangement.suspended_until else Status.APPLIED).value


def _record(arrangement: Arrangement, key: str, fact: Fact) -> None:
    arrangement.trigger_event(getattr(arrangement, fact.kind), key=key, business_date=fact.on, **fact.data)


def _reverse(arrangement: Arrangement, key: str, recorded: dict[str, Any], as_of: date) -> None:
    kind = recorded["kind"]
    extra = {"amount": recorded["amount"]} if kind == "SurchargeAccrued" else {}
    arrangement.trigger_event(
        getattr(arrangement, REVERSAL[kind]),
        key=key,
        # a payment's is its value date (a reallocation, E2, dated the fact anew)
        effective_on=recorded["value_date"] if kind == "Paid" else recorded["business_date"],
        business_date=as_of,
        **extra,
    )


def _amend(arrangement: Arrangement, key: str, recorded: dict[str, Any], fact: Fact, as_of: date) -> None:
    if fact.kind == "Paid":
        arrangement.trigger_event(arrangement.Reallocated, key=key, business_date=as_of, **fact.data)
        return
    _reverse(arrangement, key, recorded, as_of)
    _record(arrangement, key, fact)


def _differs(recorded: dict[str, Any], fact: Fact) -> bool:
    return any(recorded.get(name) != value for name, value in fact.data.items())
