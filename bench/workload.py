"""A seeded, deterministic, streaming KEAO workload (issue 5).

Debtors of the four funds, their fund transfers, arrangements of the three
schemes (covid-650 60%, standing 30%, disaster 10% in the south-aegean-2019
delimitation) and 24 months of bank payments: on time, late, partial, missing,
duplicated and unroutable.

Everything is a generator. Debtor ``n`` is a pure function of ``(seed, n)``
(its own ``random.Random``), so the stream needs no state across debtors:
memory stays flat from 1,000 to 1,000,000 debtors, and the population splits
into partitions (``n % parts``) that separate processes feed in parallel and
that, together, are exactly the whole. The instalment amounts the payments
pay come from the schemes themselves (``grant`` and ``plan`` are pure), the
same schedule the ledger will grant, without asking the ledger.

    for command in Workload(10_000, seed=7).commands(until=date(2022, 7, 31)):
        ...  # Transfer, Apply or PaymentInput, debtor by debtor

``feed(ledger, commands)`` applies them through the ledger's own commands,
many per ``UnitOfWork`` commit, as the Kafka consumers do.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aggregates.calendar import add_months
from aggregates.references import (
    arrangement_payment_code,
    creditor_reference,
    debtor_identity_code,
)
from aggregates.schemes.base import ApplicationForm, OpenItem, Rejection
from ledger.application import Ledger
from ledger.commands import PaymentInput, TransferInput, TransferItem
from ledger.demo import SURNAMES, afm_for
from ledger.errors import BadInput
from ledger.handlers.arrangements import apply_into
from ledger.handlers.payments import payment_into
from ledger.handlers.transfers import transfer_into
from ledger.settings import Settings, load_settings
from ledger.unit_of_work import UnitOfWork

FUNDS = ("IKA", "OAEE", "OGA", "ETAA")
FUND_WEIGHTS = (45, 30, 15, 10)  # IKA-ETAM employers dominate KEAO's book
BANKS = ("ETE", "ALPHA", "PIRAEUS", "EUROBANK")
SCHEMES = ("covid-650", "standing", "disaster")
SCHEME_WEIGHTS = (60, 30, 10)
# How a debtor pays its instalments, and how often.
BEHAVIOURS = ("good", "late", "partial", "lost", "missing", "payoff")
BEHAVIOUR_WEIGHTS = (58, 15, 10, 7, 6, 4)
MONTHLY = tuple(Decimal(x) for x in ("173.70", "200.73", "227.54", "412.60", "655.80"))  # 004 classes and others
FIRST_AFM = 60_000_000  # debtor n has ΑΦΜ afm_for(FIRST_AFM + n)
COVID_FIRST = date(2021, 12, 1)  # C2: applications from December 2021 to the deadline 2022-01-31
STANDING_FIRST = date(2022, 1, 3)
# The south-aegean-2019 areas (``ledger delimitations --json``) of the Rhodes floods.
RHODES = ("Ρόδου", "Ιαλυσού", "Κρεμαστής", "Αφάντου", "Αρχαγγέλου", "Λάρδου", "Καλλιθέας", "Δαματρίας")
RHODES_DATES = (date(2019, 11, 5), date(2019, 11, 25))
ANDROS = ("Αποικίων", "Λαμύρων", "Μπατσίου", "Παλαιοπόλεως", "Στενιών")
ANDROS_DATES = (date(2019, 10, 7), date(2019, 10, 8), date(2020, 1, 6))
KARPATHOS = ("Καρπάθου", "Μενετών", "Ολύμπου")
KARPATHOS_DATES = (date(2019, 2, 5), date(2019, 3, 29))
PAYMENT_MONTHS = 24


@dataclass(frozen=True)
class Apply:
    """An application for an arrangement (interfaces §1 `arrangement apply`)."""

    afm: str
    scheme: str
    applied_on: date
    instalments: int | None
    options: dict[str, Any] = field(default_factory=dict)


Command = TransferInput | Apply | PaymentInput


@dataclass
class Story:
    """One debtor: who it is, what the funds send, what it applies for and how it pays."""

    number: int
    afm: str
    fund: str
    name: str
    transfers: list[TransferInput]
    application: Apply | None
    behaviour: str
    rng: random.Random


class Workload:
    """``debtors`` debtors; debtor n is the same for the same ``seed`` whatever the size."""

    def __init__(self, debtors: int, seed: int = 2556, settings: Settings | None = None,
                 arranged_share: float = 0.9):
        if debtors < 1:
            raise ValueError("debtors must be at least 1")
        self.debtors = debtors
        self.seed = seed
        self.settings = settings or load_settings()
        self.arranged_share = arranged_share

    # -- the population ------------------------------------------------------------

    def numbers(self, part: int = 0, parts: int = 1) -> range:
        return range(part, self.debtors, parts)

    def stories(self, part: int = 0, parts: int = 1) -> Iterator[Story]:
        for n in self.numbers(part, parts):
            yield self.story(n)

    def story(self, n: int) -> Story:
        r = random.Random(self.seed * 1_000_003 + n)
        afm = afm_for(FIRST_AFM + n)
        fund = r.choices(FUNDS, FUND_WEIGHTS)[0]
        name = f"{r.choice(SURNAMES)} {r.choice(('ΑΕ', 'ΟΕ', 'ΙΚΕ', 'ΕΠΕ', ''))}".strip()
        behaviour = r.choices(BEHAVIOURS, BEHAVIOUR_WEIGHTS)[0]
        scheme = r.choices(SCHEMES, SCHEME_WEIGHTS)[0] if r.random() < self.arranged_share else None
        monthly = r.choice(MONTHLY)
        if scheme == "covid-650":
            applied_on = COVID_FIRST + timedelta(days=r.randrange(0, 62))  # to 2022-01-31 (C2)
            months = sorted(r.sample(range(17), r.randrange(3, 9)))  # periods 2020-02 .. 2021-06 (C1)
            items = [self._contribution(add_months(date(2020, 2, 1), m), monthly * r.choice((1, 2, 3))) for m in months]
            principal = sum((i.amount for i in items), Decimal(0))
            count = min(r.choice((12, 24, 36, 48, 72, 72)), int(principal // 50))  # C3: >= 50 EUR
            application = Apply(afm, scheme, applied_on, count, {})
            transfers = self._transfers(fund, afm, name, items, applied_on)
        elif scheme == "standing":
            applied_on = STANDING_FIRST + timedelta(days=r.randrange(0, 360))
            months = sorted(r.sample(range(1, 15), r.randrange(2, 7)))
            items = [self._contribution(add_months(applied_on.replace(day=1), -m - 1), monthly * r.choice((1, 2)))
                     for m in months]
            principal = sum((i.amount for i in items), Decimal(0))
            count = min(r.choice((6, 12, 18, 24, 24)), int(principal // 50))  # S1
            application = Apply(afm, scheme, applied_on, count, {"after_audit": False})
            transfers = self._transfers(fund, afm, name, items, applied_on)
        elif scheme == "disaster":
            areas, dates = r.choice(((RHODES, RHODES_DATES), (ANDROS, ANDROS_DATES), (KARPATHOS, KARPATHOS_DATES)))
            struck = r.choice(dates)
            applied_on = struck + timedelta(days=r.randrange(10, 150))  # within the suspension (ND5)
            before = [self._contribution(add_months(struck.replace(day=1), -m - 2), monthly) for m in range(r.randrange(2, 7))]
            during = [self._contribution(add_months(struck.replace(day=1), m - 1), monthly) for m in (1, 2, 3)]
            items = before + during
            total = sum((i.amount for i in items), Decimal(0))
            damage = (total * Decimal(r.choice((0.4, 0.7, 1, 2)))).quantize(Decimal(1))
            options = {"delimitation": "south-aegean-2019", "area": r.choice(areas), "disaster_date": struck,
                       "damage": damage, "certificate": f"ΠΝΑ/{struck.year}/{n:07d}"}
            application = Apply(afm, scheme, applied_on, None, options)
            transfers = self._transfers(fund, afm, name, items, applied_on)
        else:
            applied_on = None
            items = [self._contribution(date(2021, 1, 1) + timedelta(days=31 * m), monthly) for m in range(r.randrange(1, 5))]
            application = None
            transfers = self._transfers(fund, afm, name, items, None)
        return Story(n, afm, fund, name, transfers, application, behaviour, r)

    @staticmethod
    def _contribution(month: date, amount: Decimal) -> TransferItem:
        """A month's contribution, due at the end of the next month [P]."""
        due = add_months(month.replace(day=1), 2) - timedelta(days=1)
        return TransferItem(f"{month:%Y-%m}", "contribution", amount, due)

    @staticmethod
    def _transfers(fund: str, afm: str, name: str, items: list[TransferItem], before: date | None) -> list[TransferInput]:
        """D2: the fund sends the items in two transfers, 45 days after they fall due,
        and always before the application that includes them."""
        halves = [items[: (len(items) + 1) // 2], items[(len(items) + 1) // 2:]]
        transfers = []
        for k, half in enumerate(h for h in halves if h):
            sent = max(i.due_date for i in half) + timedelta(days=45)
            if before is not None:
                sent = min(sent, before)
            transfers.append(TransferInput(fund, afm, tuple(half), transfer_id=f"{fund}-{afm}-{k + 1}",
                                           name=name, business_date=sent))
        return transfers

    # -- the schedule a story's application gets ---------------------------------------------

    def schedule(self, story: Story) -> list[dict[str, Any]]:
        """The instalments the scheme grants (pure: the same as the ledger's), or []."""
        a = story.application
        if a is None:
            return []
        scheme = self.settings.scheme(a.scheme)
        items = [
            OpenItem(f"{t.fund}:{t.transfer_id}:{k}", t.fund, i.period, i.kind, i.amount, i.due_date, i.amount, None)
            for t in story.transfers for k, i in enumerate(t.items, start=1)
        ]
        form = ApplicationForm(a.afm, a.applied_on, a.instalments, scheme.options(a.options))
        try:
            grant = scheme.grant(form, items, self.settings.surcharges)
            suspended = sum((i.amount for i in items if i.item_id in grant.suspended_item_ids), Decimal(0))
            plan = scheme.plan(form, grant, suspended)
        except Rejection:
            return []
        return [i.as_dict() for i in plan.instalments]

    # -- the command stream ------------------------------------------------------------------

    def commands(self, part: int = 0, parts: int = 1, until: date | None = None) -> Iterator[Command]:
        """Transfers, the application and the payments valued up to ``until``, debtor by debtor."""
        for story in self.stories(part, parts):
            yield from self.debtor_commands(story, until)

    def debtor_commands(self, story: Story, until: date | None = None) -> Iterator[Command]:
        yield from story.transfers
        if story.application is None:
            yield from self._identity_payments(story, until)
            return
        yield story.application
        yield from self.payments(story, self.schedule(story), until)

    def payments(self, story: Story, schedule: list[dict[str, Any]], until: date | None = None) -> Iterator[PaymentInput]:
        """24 months of bank payments of one arrangement, by the debtor's behaviour."""
        r = story.rng
        a = story.application
        assert a is not None
        code = _payment_code(self.settings, a, story.afm)
        behaviour = story.behaviour
        stop = r.randrange(3, 10)
        for tx, instalment in enumerate(schedule[:PAYMENT_MONTHS], start=1):
            number, due = instalment["number"], instalment["due_date"]
            amount = instalment["capital"] + instalment["interest"]
            if behaviour == "missing" or (behaviour == "lost" and number >= stop):
                continue
            value_date = due - timedelta(days=r.randrange(1, 15))
            if behaviour == "payoff" and number == 6:
                amount = sum((i["capital"] for i in schedule if i["number"] >= 6), Decimal(0))
            elif behaviour == "partial" and number % 4 == 0:
                amount = (amount / 2).quantize(Decimal("0.01"))
            elif behaviour == "late" and number % 3 == 0:
                value_date = due + timedelta(days=r.randrange(3, 40))
                amount += Decimal("5.00")
            if until is not None and value_date > until:
                continue  # not arrived yet (a later instalment's may have)
            bank = r.choice(BANKS)
            payment = PaymentInput(f"{story.afm}-{tx:02d}", amount, value_date, code, bank, payer_afm=story.afm)
            yield payment
            if r.random() < 0.03:  # P5: the bank sends the same transaction twice
                yield payment
            if r.random() < 0.01:  # P5: a typo in the reference: unroutable, to suspense
                yield PaymentInput(f"{story.afm}-{tx:02d}X", amount, value_date, "RF00" + code[4:], bank)
            if behaviour == "payoff" and number == 6:
                return

    def _identity_payments(self, story: Story, until: date | None) -> Iterator[PaymentInput]:
        """Debtors without an arrangement pay some of their debts with the identity code (P2)."""
        r = story.rng
        for k, transfer in enumerate(story.transfers, start=1):
            if r.random() < 0.5:
                continue
            value_date = transfer.business_date + timedelta(days=r.randrange(5, 90))  # type: ignore[operator]
            if until is not None and value_date > until:
                return
            amount = sum((i.amount for i in transfer.items), Decimal(0))
            yield PaymentInput(f"{story.afm}-I{k}", amount, value_date, debtor_identity_code(story.afm),
                               r.choice(BANKS), payer_afm=story.afm)
        if r.random() < 0.02:  # a payment to a code no arrangement has
            yield PaymentInput(f"{story.afm}-U", Decimal("120.00"), date(2022, 2, 10),
                               creditor_reference("A999" + story.afm + "001"), "PIRAEUS")


def _payment_code(settings: Settings, a: Apply, afm: str) -> str:
    """C10: the code the ledger gives the debtor's first arrangement."""
    return arrangement_payment_code(settings.scheme(a.scheme).code, afm, 1)


def feed(ledger: Ledger, commands: Iterable[Command], batch: int = 400, business_date: date | None = None) -> dict[str, int]:
    """Apply ``commands`` through the ledger, ``batch`` commands per commit.

    Returns how many of each outcome: recorded, applied, duplicate, suspense, rejected."""
    counts: dict[str, int] = {}
    work = UnitOfWork(ledger)
    today = business_date or ledger.business_date()
    pending = 0
    for command in commands:
        if isinstance(command, TransferInput):
            outcome = transfer_into(work, command).status
        elif isinstance(command, Apply):
            scheme = ledger.settings.scheme(command.scheme)
            try:
                arrangement = apply_into(work, command.afm, scheme, scheme.options(command.options),
                                                command.applied_on, command.instalments, today)
                outcome = "rejected" if arrangement.status == "rejected" else "arranged"
            except BadInput:
                outcome = "refused"
        else:
            outcome = payment_into(work, command).status
        counts[outcome] = counts.get(outcome, 0) + 1
        pending += 1
        if pending >= batch:
            work.commit()
            pending = 0
    work.commit()
    return counts
