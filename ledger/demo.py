"""The main job on the embedded store: a realistic small KEAO ledger.

Debtors of all four funds, arrangements of the three schemes, three years of
bank payments (on time, late, partial, missing, duplicated, unroutable), the
close of day run month by month, then the debt tables, clearances, suspense
account and one audit trail an operator would look at. Seeded, so every run
prints the same figures.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stdnum import luhn
from stdnum.gr import vat

from aggregates.calendar import add_months, last_working_day
from aggregates.errors import NotAllowed
from aggregates.money import money
from aggregates.references import creditor_reference, debtor_identity_code
from ledger import notice_views
from ledger.actors import acting_as
from ledger.application import Ledger
from ledger.commands import (
    CorrectionInput,
    CorrectionItem,
    DeclarationInput,
    PaymentInput,
    RecallInput,
    TransferInput,
    TransferItem,
)
from ledger.handlers.apd import correct_declaration, finalise_declaration, submit_declaration
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.fund_corrections import correct_debt
from ledger.handlers.notices import deliver_notice, record_measure
from ledger.handlers.payments import record_payment
from ledger.handlers.recalls import recall_payment
from ledger.handlers.suspense import assign_payment, refund_payment
from ledger.handlers.transfers import record_transfer

FUNDS = ("IKA", "OAEE", "OGA", "ETAA")
SERVICES = ("Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών", "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Θεσσαλονίκης",  # N15
            "Τμήμα Κ.Ε.Α.Ο. Ρόδου", "Τμήμα Κ.Ε.Α.Ο. Πάτρας")
BANKS = ("ETE", "ALPHA", "PIRAEUS", "EUROBANK")
DEMO_OPERATOR = "m.papadaki@keao.gr"  # O1: who the demo's corrections are recorded as done by
DEMO_IBAN = "GR1601101250000000012300695"
RATE_101 = Decimal("0.4406")  # K3: package 101 from wage period 2003-10
SURNAMES = ("Παπαδόπουλος", "Γεωργίου", "Νικολάου", "Ιωάννου", "Κωνσταντίνου", "Δημητρίου", "Βασιλείου",
            "Αθανασίου", "Χριστοδούλου", "Μιχαηλίδης", "Οικονόμου", "Καραγιάννης")


def afm_for(number: int) -> str:
    base = f"{number:08d}"
    return base + vat.calc_check_digit(base)


def amka_for(number: int) -> str:
    base = f"010180{number:04d}"
    return base + luhn.calc_check_digit(base)


@dataclass
class Plan:
    """What one demo debtor does over the years."""

    afm: str
    scheme: str | None
    behaviour: str
    applied_on: date | None = None
    options: dict = field(default_factory=dict)
    instalments: int | None = None


@dataclass(order=True)
class Step:
    on: date
    closes_day: bool
    sequence: int
    label: str = field(compare=False)
    run: Callable[[Ledger], object] = field(compare=False)


class Scenario:
    def __init__(self, seed: int = 2556):
        self.random = random.Random(seed)
        self.tx = 0
        self.plans: list[Plan] = []
        self.steps: list[Step] = []  # a heap: what comes next, by date
        self.refusals: list[str] = []  # N13: the measures the rules refused, with the reasons

    def next_tx(self) -> str:
        self.tx += 1
        return f"TX{self.tx:06d}"

    def build(self) -> list[Step]:
        r = self.random
        covid = ["good", "good", "late", "good", "lost", "lapsed", "payoff", "partial", "good", "late", "good", "good"]
        for n, behaviour in enumerate(covid, start=1):
            applied = date(2021, 12, 1) + timedelta(days=r.randrange(0, 50))
            self.plans.append(Plan(afm_for(10_000_000 + n), "covid-650", behaviour, applied,
                                   instalments=r.choice([12, 24, 36, None])))
        for n, behaviour in enumerate(["good", "late", "lost", "good", "good", "partial"], start=1):
            self.plans.append(Plan(afm_for(20_000_000 + n), "standing", behaviour, date(2022, 3, 1) + timedelta(days=r.randrange(0, 25)),
                                   instalments=r.choice([12, 18, None])))
        disaster_areas = [("Λάρδου", date(2019, 11, 5)), ("Ιαλυσού", date(2019, 11, 25)),
                          ("Στενιών", date(2020, 1, 6)), ("Αρχαγγέλου", date(2019, 11, 5))]
        for n, ((area, struck), behaviour) in enumerate(zip(disaster_areas, ["good", "good", "lost-current", "late"]), start=1):
            self.plans.append(Plan(afm_for(30_000_000 + n), "disaster", behaviour, struck + timedelta(days=40), options={
                "delimitation": "south-aegean-2019", "area": area, "disaster_date": struck,
                "damage": Decimal(r.randrange(8_000, 40_000)), "certificate": f"ΠΝΑ/{struck.year}/{n:04d}"}))
        for n, behaviour in enumerate(["clear", "small-debt", "debt", "units"], start=1):
            self.plans.append(Plan(afm_for(40_000_000 + n), None, behaviour))
        for index, plan in enumerate(self.plans):
            self.debtor_steps(index, plan)
        self.suspense_steps()
        self.operator_steps()
        self.notice_steps()
        self.declaration_steps()
        return self.steps

    def add(self, on: date, label: str, run: Callable[[Ledger], object], closes_day: bool = False) -> None:
        """Plan a step; steps added while the scenario runs (payments planned
        from a schedule) take their place in date order."""
        heapq.heappush(self.steps, Step(on, closes_day, len(self.steps) + self.tx * 1000, label, run))

    def debtor_steps(self, index: int, plan: Plan) -> None:
        r = self.random
        fund = FUNDS[index % 4]
        name = f"{SURNAMES[index % len(SURNAMES)]} {('ΑΕ', 'ΟΕ', 'ΙΚΕ', '')[index % 4]}".strip()
        service = SERVICES[2] if plan.scheme == "disaster" else SERVICES[(0, 1, 3)[index % 3]]
        self.add(date(2019, 1, 2), f"register {plan.afm}",
                 lambda l, p=plan, n=name, s=service: register_debtor(l, p.afm, n, date(2019, 1, 2), s, amka=amka_for(index)))
        items = list(self.debts_for(plan))
        for number, (period, kind, amount, due) in enumerate(items, start=1):
            sent = max(due + timedelta(days=45), date(2019, 1, 2))
            if plan.scheme == "disaster":
                sent = min(sent, plan.applied_on)
            self.add(sent, f"transfer {plan.afm}", lambda l, p=plan, f=fund, i=(period, kind, amount, due), k=number, on=sent:
                     record_transfer(l, TransferInput(f, p.afm, (TransferItem(*i),), transfer_id=f"{f}-{p.afm}-{k}", business_date=on)))
        if plan.scheme == "disaster" and plan.behaviour != "lost-current":
            # ND10 a: keeping the arrangement means paying current contributions on time.
            suspension_ends = add_months(plan.options["disaster_date"].replace(day=1), 6)
            for _, _, amount, due in items:
                if due >= suspension_ends:
                    self.add(due - timedelta(days=5), f"current {plan.afm}", lambda l, a=plan.afm, x=amount, o=due:
                             record_payment(l, PaymentInput(self.next_tx(), x, o - timedelta(days=5), debtor_identity_code(a), "ALPHA")))
        if plan.behaviour == "units":
            unit = afm_for(41_000_000 + index)
            self.add(date(2019, 1, 3), f"unit {unit}", lambda l, p=plan, u=unit: register_debtor(l, u, "Υποκατάστημα Πάτρας", date(2019, 1, 3), parent_afm=p.afm))
            self.add(date(2021, 3, 1), f"unit debt {unit}", lambda l, u=unit: record_transfer(l, TransferInput(
                "IKA", u, (TransferItem("2020-11", "contribution", Decimal("412.60"), date(2020, 12, 31)),),
                transfer_id=f"IKA-{u}-1", business_date=date(2021, 3, 1))))
        if plan.behaviour == "debt":
            payer = plan.afm
            self.add(date(2022, 6, 15), f"identity payment {payer}", lambda l, a=payer: record_payment(l, PaymentInput(
                self.next_tx(), Decimal("300.00"), date(2022, 6, 14), debtor_identity_code(a), r.choice(BANKS))))
        if plan.scheme:
            self.add(plan.applied_on, f"apply {plan.afm}", lambda l, p=plan: self.apply_and_pay(l, p))

    def debts_for(self, plan: Plan) -> Iterator[tuple[str, str, Decimal, date]]:
        r = self.random
        monthly = Decimal(r.choice(["173.70", "200.73", "227.54", "412.60", "655.80"]))  # 004: OGA classes and others
        if plan.scheme == "covid-650":
            months = [date(2020, 3, 1), date(2020, 4, 1), date(2020, 11, 1), date(2021, 1, 1), date(2021, 4, 1)]
        elif plan.scheme == "disaster":
            struck = plan.options["disaster_date"]
            months = [add_months(struck, k) for k in (-14, -10, -6, -3, 1, 2, 3, 7, 8, 9, 10, 12)]
        elif plan.behaviour in ("clear",):
            months = []
        elif plan.behaviour == "small-debt":
            yield ("2021-09", "fee", Decimal("12.40"), date(2021, 10, 31))
            return
        else:
            months = [date(2021, 5, 1), date(2021, 6, 1), date(2021, 9, 1), date(2021, 12, 1)]
        for month in months:
            due = add_months(month, 1) - timedelta(days=1)  # contributions of a month are due by the end of the next [P]
            due = add_months(due.replace(day=1), 1) - timedelta(days=1)
            yield (f"{month:%Y-%m}", "contribution", monthly * r.choice([1, 2, 3]), due)

    def apply_and_pay(self, ledger: Ledger, plan: Plan) -> None:
        """Apply, then plan the debtor's payments from the schedule it got."""
        arrangement = apply_for_arrangement(ledger, plan.afm, plan.scheme, plan.applied_on, plan.instalments, plan.options)
        if arrangement.status == "rejected":
            return
        code = arrangement.payment_code
        schedule = arrangement.instalments
        if not schedule:  # disaster: the plan is fixed when the suspension ends
            first = arrangement.suspended_until + timedelta(days=1)
            schedule = [{"number": k + 1, "due_date": last_working_day(add_months(first, k).year, add_months(first, k).month),
                         "capital": None, "interest": Decimal(0)} for k in range(24)]
        for instalment in schedule:
            self.add(instalment["due_date"] - timedelta(days=20), f"pay {code}",
                     lambda l, c=code, i=instalment, p=plan: self.pay_instalment(l, c, i, p))
        if plan.behaviour == "lost-current":
            # ND10 a: a current contribution after the suspension, paid late.
            afm = plan.afm
            due = date(2020, 9, 30)
            self.add(date(2020, 9, 1), f"current debt {afm}", lambda l: record_transfer(l, TransferInput(
                "OAEE", afm, (TransferItem("2020-08", "contribution", Decimal("227.54"), due),),
                transfer_id=f"OAEE-{afm}-current", business_date=date(2020, 9, 1))))
            self.add(date(2020, 10, 20), f"late current {afm}", lambda l: record_payment(l, PaymentInput(
                self.next_tx(), Decimal("227.54"), date(2020, 10, 19), debtor_identity_code(afm), "ALPHA")))

    def pay_instalment(self, ledger: Ledger, code: str, instalment: dict, plan: Plan) -> None:
        r = self.random
        view = ledger.arrangement(code)
        if view.status not in ("applied", "active", "suspended"):
            return
        scheduled = next((i for i in view.instalments if i["number"] == instalment["number"]), None)
        if scheduled is None:
            return
        number = scheduled["number"]
        amount = scheduled["capital"] + scheduled["interest"]
        due = scheduled["due_date"]
        behaviour = plan.behaviour
        if behaviour == "lapsed" or (behaviour in ("lost", "lost-current") and number >= 3):
            return
        if behaviour == "payoff" and number == 6:
            remaining = sum((i["capital"] for i in view.instalments if i["number"] >= 6), Decimal(0))
            self.payment(ledger, code, remaining, due - timedelta(days=3))
            return
        if behaviour == "partial" and number % 4 == 0:
            amount = (amount / 2).quantize(Decimal("0.01"))
        value_date = due - timedelta(days=r.randrange(1, 15))
        if behaviour == "late" and number % 3 == 0:
            value_date = due + timedelta(days=r.randrange(3, 40))
            amount += Decimal("5.00")
        tx = self.payment(ledger, code, amount, value_date)
        if number == 2 and behaviour == "good" and r.random() < 0.5:
            # The bank sends the same file twice (P5): applied once.
            record_payment(ledger, PaymentInput(tx, amount, value_date, code, "ETE"))

    def payment(self, ledger: Ledger, code: str, amount: Decimal, value_date: date) -> str:
        tx = self.next_tx()
        record_payment(ledger, PaymentInput(tx, amount, value_date, code, "ETE"))
        return tx

    def suspense_steps(self) -> None:
        cases = [
            (date(2022, 2, 10), creditor_reference("A650999999999001"), Decimal("120.00"), "EUR"),  # no such arrangement
            (date(2022, 4, 5), "RF00A650100000015001", Decimal("96.00"), "EUR"),  # bad check digits
            (date(2022, 5, 9), debtor_identity_code(afm_for(40_000_001)), Decimal("50.00"), "EUR"),  # owes nothing
            (date(2022, 7, 1), debtor_identity_code(afm_for(40_000_003)), Decimal("0.00"), "EUR"),  # zero amount
            (date(2022, 8, 3), debtor_identity_code(afm_for(40_000_003)), Decimal("75.00"), "USD"),  # not EUR
        ]
        for on, reference, amount, currency in cases:
            self.add(on, "unroutable payment", lambda l, o=on, ref=reference, a=amount, c=currency: record_payment(l, 
                PaymentInput(self.next_tx(), a, o, ref, "PIRAEUS", c)))


    def operator_steps(self) -> None:
        """§14: an operator refunds a payment no one owes (O2), assigns a mistyped one to
        its debtor (O2), a bank recalls a payment (O3) and a fund amends an item (O4)."""
        clear = next(p.afm for p in self.plans if p.behaviour == "clear")
        debt_index, debt = next((i, p) for i, p in enumerate(self.plans) if p.behaviour == "debt")
        code = debtor_identity_code(debt.afm)
        mistyped = f"RF{(int(code[2:4]) + 1) % 97:02d}{code[4:]}"
        fund = FUNDS[debt_index % 4]
        steps: list[tuple[date, str, Callable[[Ledger], object]]] = [
            (date(2022, 5, 9), "payment of no debt", lambda l: record_payment(l, PaymentInput(
                "OPS-1", Decimal("50.00"), date(2022, 5, 9), debtor_identity_code(clear), "EUROBANK"))),
            (date(2022, 5, 20), "refund", lambda l: refund_payment(
                l, "OPS-1", "EUROBANK", DEMO_IBAN, "no debt with KEAO: returned to the payer", date(2022, 5, 20))),
            (date(2022, 9, 5), "mistyped payment", lambda l: record_payment(l, PaymentInput(
                "OPS-2", Decimal("80.00"), date(2022, 9, 5), mistyped, "ALPHA"))),
            (date(2022, 9, 12), "assignment", lambda l: assign_payment(
                l, "OPS-2", "ALPHA", debt.afm, "identity code mistyped; the payer's ΑΦΜ is on the slip",
                date(2022, 9, 12))),
            (date(2022, 9, 1), "payment later recalled", lambda l: record_payment(l, PaymentInput(
                "OPS-3", Decimal("100.00"), date(2022, 9, 1), code, "ETE"))),
            (date(2022, 9, 8), "recall", lambda l: recall_payment(
                l, RecallInput("OPS-3", "returned: the payer's account is closed", "ETE", date(2022, 9, 8)))),
            (date(2022, 10, 3), "fund correction", lambda l: correct_debt(l, CorrectionInput(
                "amend", "CORR-1", fund, debt.afm, f"{fund}-{debt.afm}-1",
                (CorrectionItem("2021-05", "contribution", Decimal("150.00")),), date(2022, 10, 3)))),
        ]
        for on, label, run in steps:
            self.add(on, label, lambda l, act=run: _as_operator(act, l))


    def notice_steps(self) -> None:
        """§10: the post delivers a debtor's invitations, then its individual notice; an
        operator records a seizure once its period has run (N13), and a garnishment on
        an item inside a kept covid-650 arrangement, which the rules refuse (N8)."""
        debt = next(p for p in self.plans if p.behaviour == "debt")
        kept = [p for p in self.plans if (p.scheme, p.behaviour) == ("covid-650", "good")][-1]  # the report's
        steps: list[tuple[date, str, Callable[[Ledger], object]]] = [
            (date(2021, 9, 20), "invitations delivered", lambda l: _deliver_all(l, debt.afm, "invitation", "ΕΛΤΑ RR-1", date(2021, 9, 20))),
            (date(2021, 11, 5), "notice delivered", lambda l: _deliver_all(
                l, debt.afm, "individual_notice", "ΕΛΤΑ RR-2", date(2021, 11, 5))),
            (date(2022, 1, 10), "seizure", lambda l: record_measure(
                l, debt.afm, "seizure", ["2021-05:contribution"], "ΠΡΑΞΗ ΚΑΤΑΣΧΕΣΗΣ 14/2022", date(2022, 1, 10))),
            (date(2022, 2, 15), "garnishment refused", lambda l: self.refused(lambda: record_measure(
                l, kept.afm, "garnishment", ["2020-03:contribution"], "ΚΑΤΑΣΧΕΤΗΡΙΟ 3/2022", date(2022, 2, 15)))),
        ]
        for on, label, run in steps:
            self.add(on, label, lambda l, act=run: _as_operator(act, l))

    def declaration_steps(self) -> None:
        """§12: an employer's monthly ΑΠΔ; one has a new insured person's record with zero
        contributions (82, 141), corrected before it is finalised; each finalised ΑΠΔ is
        assessed into the employer's IKA debt (K21) and paid with its identity code."""
        steps: list[tuple[date, str, Callable[[Ledger], object]]] = [
            (date(2022, 1, 10), "employer registered", lambda l: register_debtor(
                l, EMPLOYER_AFM, "Ξενοδοχεία Αιγαίου Α.Ε.", date(2022, 1, 10), SERVICES[2]))]
        for month in (1, 2, 3):
            period, filed = f"2022-{month:02}", date(2022, month + 1, 10)
            apd_id = f"APD-{EMPLOYER_AFM}-{period}"
            wrong = month == 2
            steps.append((filed, "ΑΠΔ submitted", lambda l, p=period, f=filed, w=wrong, i=apd_id: submit_declaration(
                l, declaration_input(i, p, f, zero_for_the_new=w), f)))
            if wrong:
                steps.append((filed + timedelta(days=5), "ΑΠΔ corrected", lambda l, p=period, f=filed, i=apd_id:
                              correct_declaration(l, i, declaration_input(i, p, f).records[2:], f + timedelta(days=5))))
            final = filed + timedelta(days=6)
            steps.append((final, "ΑΠΔ finalised", lambda l, i=apd_id, f=final: finalise_declaration(l, i, {}, f)))
            steps.append((final + timedelta(days=7), "contributions paid", lambda l, i=apd_id, f=final: self.payment(
                l, debtor_identity_code(EMPLOYER_AFM), sum((Decimal(a["amount"]) for a in l.declaration(i).assessed),
                                                           Decimal("0.00")), f + timedelta(days=7))))
        for on, label, run in steps:
            self.add(on, label, run)

    def refused(self, run: Callable[[], object]) -> None:
        try:
            run()
        except NotAllowed as refusal:
            self.refusals.append(refusal.reason)


EMPLOYER_AFM = afm_for(50_000_001)
EMPLOYEES = (("01016512343", "1985-03-01", "1400.00"), ("02027012349", "1990-10-01", "1150.00"),
             ("03038012344", "2015-06-01", "900.00"))  # ΑΜΚΑ, insured since, earnings


def declaration_input(apd_id: str, period: str, filed: date, zero_for_the_new: bool = False) -> DeclarationInput:
    """A month's ΑΠΔ of the demo's employer: three employees at 44.06% of package 101 (K3)."""
    records = []
    for number, (amka, since, earnings) in enumerate(EMPLOYEES, start=1):
        contributions = Decimal("0.00") if zero_for_the_new and number == 3 else money(Decimal(earnings) * RATE_101)
        records.append({"record": str(number), "amka": amka, "insured_since": since, "package": "101",
                        "earnings_type": "01", "wage_period": period, "from": f"{period}-01", "to": f"{period}-28",
                        "days": 25, "earnings": earnings, "contributions": str(contributions),
                        "employer_subsidy": "0.00", "employee_subsidy": "0.00"})
    return DeclarationInput(apd_id, EMPLOYER_AFM, "010", False, filed, tuple(records))


def _deliver_all(ledger: Ledger, afm: str, kind: str, proof: str, day: date) -> None:
    """N3: the post delivers the debtor's notices of ``kind`` not delivered yet."""
    for notice in notice_views.notices_view(ledger, afm):
        if notice["kind"] == kind and notice["delivered_on"] is None:
            deliver_notice(ledger, notice["id"], "post", proof, day)


def _as_operator(run: Callable[[Ledger], object], ledger: Ledger) -> object:
    with acting_as(DEMO_OPERATOR):
        return run(ledger)


def closing_days(first: date, last: date) -> Iterator[date]:
    """The first and the last day of each month: a small ledger need not close daily."""
    month = first.replace(day=1)
    while month <= last:
        yield month
        yield add_months(month, 1) - timedelta(days=1)
        month = add_months(month, 1)


def run_demo(ledger: Ledger, advance: Callable[[str, int], None], until: date = date(2022, 12, 31)) -> Scenario:
    """Apply the scenario's steps in date order, closing the day twice a month.

    ``advance(label, planned)`` is told each step done and how many are planned."""
    scenario = Scenario()
    scenario.build()
    for day in closing_days(date(2019, 1, 1), until):
        scenario.add(day, f"close day {day}", lambda l, d=day: close_day(l, d), closes_day=True)
    done = 0
    while scenario.steps and scenario.steps[0].on <= until:
        step = heapq.heappop(scenario.steps)
        step.run(ledger)
        done += 1
        advance(step.label, done + sum(1 for s in scenario.steps if s.on <= until))
    return scenario


def report_afms(scenario: Scenario) -> dict[str, list[str]]:
    """The debtors the report shows: one of each kind of story."""
    by = {(p.scheme, p.behaviour): p.afm for p in scenario.plans}
    return {
        "debt_tables": [by[("covid-650", "late")], by[("disaster", "good")], by[(None, "units")]],
        "clearances": [by[("covid-650", "good")], by[("covid-650", "lost")], by[("disaster", "lost-current")],
                       by[("standing", "good")], by[(None, "clear")], by[(None, "small-debt")], by[(None, "units")]],
        "audit": [by[("covid-650", "lost")]],
        "notices": [by[(None, "debt")]],
        "certificate": [by[("covid-650", "good")]],
        "declarations": [f"APD-{EMPLOYER_AFM}-2022-02"],
    }
