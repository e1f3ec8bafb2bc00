"""A name's search key (§1.7) and the day a debtor's figures next move by the
calendar alone (``aggregates.horizon``: V2, L1, D2, P2, C6)."""

from __future__ import annotations

from aggregates.debtor import Debtor
from aggregates.horizon import next_change
from aggregates.names import search_key
from aggregates.surcharges import next_delay_month_start
from tests.unit.builders import AFM, RULES, d, m


def test_a_search_key_drops_accents_case_and_extra_spaces():
    assert search_key("  Χαϊδεμένου   Ελένη ") == "χαιδεμενου ελενη"
    assert search_key("ΠΑΠΑΔΟΠΟΥΛΟΣ") == search_key("Παπαδόπουλος") == "παπαδοπουλοσ"  # final ς is σ
    assert search_key("Ἀθανασίου") == "αθανασιου"  # polytonic too


def test_L1_the_next_month_of_delay_starts_the_day_after_the_due_date_then_monthly():
    assert next_delay_month_start(d("2021-11-30"), d("2021-11-29")) == d("2021-12-01")
    assert next_delay_month_start(d("2021-11-30"), d("2021-12-01")) == d("2022-01-01")
    assert next_delay_month_start(d("2021-01-30"), d("2021-02-27")) == d("2021-02-28")  # 31 Jan + 1 month


def debtor_owing() -> Debtor:
    debtor = Debtor.register(AFM, "Παπαδόπουλος Α.Ε.", d("2022-01-10"))
    debtor.transfer("OAEE", "T-1", [
        {"period": "2021-10", "kind": "contribution", "amount": m("300.00"), "due_date": d("2021-11-30")},
        {"period": "2022-01", "kind": "contribution", "amount": m("100.00"), "due_date": d("2022-02-28")},
    ], d("2022-01-10"))
    return debtor


def test_the_figures_next_move_when_a_debt_falls_overdue_or_a_month_of_delay_starts():
    debtor = debtor_owing()
    assert next_change(debtor, [], RULES, d("2022-01-10")) == d("2022-02-01")  # 300.00's third month (L1)
    assert next_change(debtor, [], RULES, d("2022-02-15")) == d("2022-03-01")  # both: 100.00 overdue (V2)
    assert next_change(debtor, [], RULES, d("2022-03-01")) == d("2022-04-01")


def test_a_payment_moves_them_on_its_value_date_and_nothing_owed_never():
    debtor = debtor_owing()
    debtor.pay("TX-1", d("2022-01-20"), m("450.00"), RULES, held=())
    assert next_change(debtor, [], RULES, d("2022-01-12")) == d("2022-01-20")  # P2: from its value date
    assert debtor.balances(d("2022-01-20"), RULES)[-1].outstanding == m("0.00")
    assert next_change(debtor, [], RULES, d("2022-01-20")) is None
