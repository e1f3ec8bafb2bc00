"""The debtor aggregate: D1 (identity, service, units), D2 (debt items by
transfer), D3 (overdue items accrue L1 surcharges), D4 (transfer digest),
P2 (debtor identity code pays oldest first)."""

from functools import reduce

from aggregates.debtor import Debtor
from aggregates.transfer import FundTransfer, content_digest
from tests.unit.builders import AFM, RULES, d, kinds, m


def debtor_with_debts():
    debtor = Debtor.register(AFM, "Παπαδόπουλος Α.Ε.", d("2021-01-10"), service="ΠΥ ΚΕΑΟ Ρόδου")
    debtor.transfer("OAEE", "T-1", [
        {"period": "2020-11", "kind": "contribution", "amount": m("1000.00"), "due_date": d("2020-12-31")},
        {"period": "2020-10", "kind": "contribution", "amount": m("500.00"), "due_date": d("2020-11-30")},
    ], d("2021-01-10"))
    return debtor


def test_D1_registered_with_service_and_units():
    debtor = debtor_with_debts()
    assert debtor.id == Debtor.create_id(AFM)
    assert (debtor.afm, debtor.name, debtor.service) == (AFM, "Παπαδόπουλος Α.Ε.", "ΠΥ ΚΕΑΟ Ρόδου")
    debtor.add_unit("094014201", d("2021-01-11"))
    debtor.add_unit("094014201", d("2021-01-12"))  # the same unit twice is recorded once
    assert debtor.units == ["094014201"]
    assert kinds(debtor.collect_events()) == ["Registered", "DebtTransferred", "UnitAdded"]


def test_D2_transferred_items_get_stable_ids_from_the_fund_transfer():
    debtor = debtor_with_debts()
    assert sorted(debtor.items) == ["OAEE:T-1:1", "OAEE:T-1:2"]
    first = debtor.items["OAEE:T-1:1"]
    assert (first["fund"], first["period"], first["amount"], first["received_on"]) == (
        "OAEE", "2020-11", m("1000.00"), d("2021-01-10"))


def test_D3_overdue_item_accrues_surcharges_frozen_item_does_not():
    debtor = debtor_with_debts()
    item = debtor.items["OAEE:T-1:1"]
    # 1000.00 due 2020-12-31, as of 2021-03-15: months 01-01, 02-01, 03-01 → 1000 × 0.08/12 × 3 = 20.00
    balance = debtor.balance(item, d("2021-03-15"), RULES)
    assert (balance.surcharge, balance.outstanding) == (m("20.00"), m("1020.00"))
    # on the due date itself: not overdue yet
    assert debtor.balance(item, d("2020-12-31"), RULES).surcharge == m("0.00")
    # C4/ND3: an item held by an arrangement accrues nothing here
    assert debtor.balance(item, d("2021-03-15"), RULES, frozen=True).surcharge == m("0.00")


def test_P2_debtor_payment_oldest_first_surcharge_before_principal():
    debtor = debtor_with_debts()
    # 2021-02-10: item 2 (500.00 due 2020-11-30): months 12-01, 01-01, 02-01 → 500 × 0.08/12 × 3 = 10.00
    #             item 1 (1000.00 due 2020-12-31): months 01-01, 02-01 → 13.33
    # 600.00 → item 2 surcharge 10.00, principal 500.00, item 1 surcharge 13.33, principal 76.67
    debtor.pay("b1", d("2021-02-10"), m("600.00"), RULES, held=())
    (paid,) = [e for e in debtor.collect_events() if type(e).__name__ == "DebtPaid"]
    assert paid.allocation == [
        {"item_id": "OAEE:T-1:2", "part": "surcharge", "amount": m("10.00")},
        {"item_id": "OAEE:T-1:2", "part": "principal", "amount": m("500.00")},
        {"item_id": "OAEE:T-1:1", "part": "surcharge", "amount": m("13.33")},
        {"item_id": "OAEE:T-1:1", "part": "principal", "amount": m("76.67")},
    ]
    assert paid.credit == m("0.00")
    settled = debtor.balance(debtor.items["OAEE:T-1:2"], d("2021-06-30"), RULES)
    assert settled.settled_on == d("2021-02-10")
    assert settled.outstanding == m("0.00")
    # item 1 after: 923.33 unpaid from 2021-02-10. Months: 01-01 and 02-01 on 1000.00,
    # 03-01 on 923.33 → (1000 × 2 + 923.33) × 0.08/12 = 19.4889 → 19.49; 13.33 paid
    rest = debtor.balance(debtor.items["OAEE:T-1:1"], d("2021-03-15"), RULES)
    assert rest.surcharge == m("19.49")
    assert rest.outstanding == m("923.33") + m("19.49") - m("13.33")


def test_P2_held_items_are_skipped_and_the_rest_is_credit():
    debtor = debtor_with_debts()
    debtor.pay("b1", d("2021-02-10"), m("2000.00"), RULES, held=("OAEE:T-1:2",))
    # only item 1: 13.33 + 1000.00; 2000 − 1013.33 = 986.67 stays as credit
    assert debtor.credit == m("986.67")
    open_items = debtor.open_items(d("2021-02-10"), RULES, held=("OAEE:T-1:2",))
    assert [(i.item_id, i.unpaid, i.settled_on) for i in open_items] == [("OAEE:T-1:1", m("0.00"), d("2021-02-10"))]


def test_D4_transfer_digest_is_stable_and_content_sensitive():
    content = {"fund": "OAEE", "transfer_id": "T-1", "items": [{"amount": "1000.00", "due_date": "2020-12-31"}]}
    same = {"items": [{"due_date": "2020-12-31", "amount": "1000.00"}], "transfer_id": "T-1", "fund": "OAEE"}
    other = {**content, "items": [{"amount": "1000.01", "due_date": "2020-12-31"}]}
    assert content_digest(content) == content_digest(same)
    assert content_digest(content) != content_digest(other)
    transfer = FundTransfer.receive("OAEE", "T-1", AFM, content_digest(content), d("2021-01-10"))
    assert transfer.id == FundTransfer.create_id("OAEE", "T-1")
    assert FundTransfer.create_id("OAEE", "T-1") != FundTransfer.create_id("OGA", "T-1")


def test_debtor_replays_to_the_same_state():
    debtor = debtor_with_debts()
    debtor.pay("b1", d("2021-02-10"), m("600.00"), RULES, held=())
    copy = reduce(lambda a, e: e.mutate(a), debtor.collect_events(), None)
    public = lambda a: {k: v for k, v in vars(a).items() if not k.startswith("_")}  # noqa: E731
    assert public(copy) == public(debtor)
