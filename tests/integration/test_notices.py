"""Notices and enforcement (domain §10) through the handlers, on both stores: the
exact day each notice is issued, the first day a measure is allowed, what a kept
arrangement suspends and lifts, and what a loss resumes."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates.errors import BadInput, NotAllowed
from ledger import notice_views, views
from ledger.handlers.close_day import close_day
from ledger.handlers.notices import deliver_notice, issue_locked, lift_measure, record_measure
from ledger.errors import NotFound
from tests.integration.helpers import AFM, AFM2, AFM3, count, d, debtor, pay, transfer
from ledger.handlers.arrangements import apply_for_arrangement


def notices(ledger, afm=AFM, kind=None):
    return [n for n in notice_views.notices_view(ledger, afm) if kind is None or n["kind"] == kind]


def numbers(ledger, afm=AFM):
    return [n["id"] for n in notices(ledger, afm)]


def overdue_debtor(ledger, afm=AFM, amount="1000.00", on="2023-01-20"):
    """An OAEE contribution of 2022-12, due 2023-01-31, transferred on ``on``."""
    debtor(ledger, afm, business_date=d(on), service="Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών")
    transfer(ledger, afm, amount, "2023-01-31", "2022-12", f"T-{afm}", on=on)


def test_n6_the_first_transfer_from_a_fund_records_one_information_notice(ledger):
    overdue_debtor(ledger)
    transfer(ledger, AFM, "50.00", "2023-01-31", "2022-11", "T-2", on="2023-01-20")  # OAEE again: none
    transfer(ledger, AFM, "70.00", "2023-01-31", "2022-11", "T-3", fund="OGA", on="2023-01-20")
    info = notices(ledger, kind="information")
    assert [(n["id"], n["fund"], n["issued_on"]) for n in info] == [
        ("INF-100000003-OAEE", "OAEE", date(2023, 1, 20)), ("INF-100000003-OGA", "OGA", date(2023, 1, 20))]
    assert info[0]["service"] == "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών"  # N5/N15


def test_n2_an_invitation_is_issued_the_day_the_item_falls_overdue(ledger):
    overdue_debtor(ledger)
    close_day(ledger, d("2023-01-20"))
    close_day(ledger, d("2023-01-31"))  # due that day: not overdue yet (D3)
    assert notices(ledger, kind="invitation") == []
    close_day(ledger, d("2023-02-01"))
    [invitation] = notices(ledger, kind="invitation")
    assert invitation["id"] == "INV-100000003-20230201" and invitation["issued_on"] == date(2023, 2, 1)
    # N5: frozen with the surcharges to the issue date, as the debt table shows them that day
    table = views.debt_table(ledger, AFM, d("2023-02-01"))
    assert invitation["total"] == table["total_outstanding"] == d_money("1007.08")
    assert [(i["period"], i["amount"], i["surcharges"]) for i in invitation["items"]] == [
        ("2022-12", d_money("1000.00"), d_money("7.08"))]
    assert invitation["deadline"] is None and invitation["status"] == "issued"


def d_money(text):
    from decimal import Decimal
    return Decimal(text)


def test_e2_closing_the_same_day_twice_issues_nothing_and_catching_up_issues_on_each_day(ledger):
    overdue_debtor(ledger)
    close_day(ledger, d("2023-01-20"))
    close_day(ledger, d("2023-03-10"))  # skipped days caught up: the invitation on its own day
    [invitation] = notices(ledger, kind="invitation")
    assert invitation["issued_on"] == date(2023, 2, 1)
    before = count(ledger)
    close_day(ledger, d("2023-03-10"))
    assert issue_locked(ledger, d("2023-03-10")) == []
    assert count(ledger) == before


def delivered_invitation(ledger, afm=AFM):
    overdue_debtor(ledger, afm)
    close_day(ledger, d("2023-02-01"))
    # N4: 30 days from the day after 2023-02-03 end on Sunday 2023-03-05, moved to Monday the 6th
    view = deliver_notice(ledger, f"INV-{afm}-20230201", "post", "ΕΛΤΑ RR-1", d("2023-02-03"))
    assert view["deadline"] == date(2023, 3, 6) and view["channel"] == "post"


def test_n4_the_individual_notice_comes_the_day_after_the_invitation_period(ledger):
    delivered_invitation(ledger)
    close_day(ledger, d("2023-03-06"))
    assert notices(ledger, kind="individual_notice") == []
    close_day(ledger, d("2023-03-07"))
    [notice] = notices(ledger, kind="individual_notice")
    assert notice["id"] == "IND-100000003-20230307" and notice["issued_on"] == date(2023, 3, 7)
    assert notice["total"] == views.debt_table(ledger, AFM, d("2023-03-07"))["total_outstanding"]


def test_n4_an_undelivered_invitation_never_leads_to_an_individual_notice(ledger):
    overdue_debtor(ledger)
    close_day(ledger, d("2023-06-30"))
    assert [n["kind"] for n in notices(ledger)] == ["information", "invitation"]


def individual_notice_delivered(ledger, afm=AFM, on="2023-03-18"):
    delivered_invitation(ledger, afm)
    close_day(ledger, d("2023-03-07"))
    return deliver_notice(ledger, f"IND-{afm}-20230307", "post", "ΕΛΤΑ RR-2", d(on))


def test_n4_n13_a_measure_waits_for_the_period_its_last_day_moved_past_easter_monday(ledger):
    view = individual_notice_delivered(ledger)
    # 2023-03-18 + 30 = Monday 2023-04-17, Easter Monday: the last day moves to the 18th
    assert view["deadline"] == date(2023, 4, 18)
    close_day(ledger, d("2023-04-18"))
    before = count(ledger)
    with pytest.raises(NotAllowed, match="runs until 2023-04-18: a measure is allowed from 2023-04-19"):
        record_measure(ledger, AFM, "seizure", ["2022-12:contribution"], "ΠΡΑΞΗ 1/2023", d("2023-04-18"))
    assert count(ledger) == before
    assert views.debt_table(ledger, AFM, d("2023-04-18"))["items"][0]["enforceable"] is False
    close_day(ledger, d("2023-04-19"))
    assert views.debt_table(ledger, AFM, d("2023-04-19"))["items"][0]["enforceable"] is True
    measure = record_measure(ledger, AFM, "seizure", ["2022-12:contribution"], "ΠΡΑΞΗ 1/2023", d("2023-04-19"))
    assert measure["id"] == "M-100000003-1"
    table = views.debt_table(ledger, AFM)
    assert table["measures"] == [{"id": "M-100000003-1", "measure": "seizure", "items": ["OAEE:2022-12:contribution"],
                                  "reference": "ΠΡΑΞΗ 1/2023", "recorded_on": date(2023, 4, 19), "lifted_on": None,
                                  "lift_reason": None}]
    assert table["enforcement"] == "allowed" and table["criminal_proceedings"] == "allowed"
    lifted = lift_measure(ledger, "M-100000003-1", "paid in full", d("2023-05-02"))
    assert lifted["lifted_on"] == date(2023, 5, 2)
    close_day(ledger, d("2023-05-02"))
    assert views.debt_table(ledger, AFM)["measures"][0]["lift_reason"] == "paid in full"
    # V3: as of a past day, the notices and measures as they stood then
    then = views.debt_table(ledger, AFM, d("2023-04-19"))
    assert [m["lifted_on"] for m in then["measures"]] == [None]
    assert views.debt_table(ledger, AFM, d("2023-04-18"))["measures"] == []
    before_delivery = views.debt_table(ledger, AFM, d("2023-03-17"))["notices"]
    assert [(n["id"], n["status"], n["deadline"]) for n in before_delivery] == [
        ("INF-100000003-OAEE", "issued", None), ("INV-100000003-20230201", "delivered", date(2023, 3, 6)),
        ("IND-100000003-20230307", "issued", None)]


def test_n13_measures_are_refused_with_the_reason(ledger):
    overdue_debtor(ledger)
    close_day(ledger, d("2023-02-01"))
    with pytest.raises(NotAllowed, match="no delivered individual notice names item OAEE:2022-12:contribution"):
        record_measure(ledger, AFM, "mortgage", ["2022-12:contribution"], "R", d("2023-02-01"))
    with pytest.raises(BadInput, match="--items: the debtor has no item 2021-01:contribution"):
        record_measure(ledger, AFM, "mortgage", ["2021-01:contribution"], "R", d("2023-02-01"))
    with pytest.raises(BadInput, match="--items: a measure names at least one item"):
        record_measure(ledger, AFM, "mortgage", [], "R", d("2023-02-01"))
    with pytest.raises(BadInput, match="--measure"):
        record_measure(ledger, AFM, "arrest", ["2022-12:contribution"], "R", d("2023-02-01"))


def test_notices_are_not_issued_past_the_business_date(ledger):
    from ledger.handlers.notices import issue_notices

    overdue_debtor(ledger)
    close_day(ledger, d("2023-02-01"))
    with pytest.raises(BadInput, match="--date: 2023-02-02 is after the ledger's business date 2023-02-01"):
        issue_notices(ledger, d("2023-02-02"))
    assert issue_notices(ledger, d("2023-02-01")) == []  # E2: the close issued them already


def test_the_items_of_an_application_awaiting_its_first_payment_are_still_owed(ledger):
    """Before its first instalment is paid an arrangement does not run [P]: its items are
    debts outside it (as V2 counts them), invited and enforceable as any other."""
    individual_notice_delivered(ledger, on="2023-03-08")
    close_day(ledger, d("2023-04-20"))
    apply_for_arrangement(ledger, AFM, "standing", d("2023-04-20"), 12)
    table = views.debt_table(ledger, AFM)
    assert table["items"][0]["status"] == "in_arrangement" and table["items"][0]["enforceable"] is True
    assert table["enforcement"] == "allowed"
    measure = record_measure(ledger, AFM, "mortgage", ["2022-12:contribution"], "ΥΠΟΘ-1", d("2023-04-20"))
    assert measure["items"] == ["OAEE:2022-12:contribution"]


def test_g13_below_15_eur_an_invitation_but_no_individual_notice_nor_measure(ledger):
    overdue_debtor(ledger, amount="14.99")
    close_day(ledger, d("2023-02-01"))
    deliver_notice(ledger, "INV-100000003-20230201", "post", "P-1", d("2023-02-03"))
    close_day(ledger, d("2023-06-30"))
    assert [n["kind"] for n in notices(ledger)] == ["information", "invitation"]


def test_g13_a_measure_refused_once_the_overdue_principal_is_below_15_eur(ledger):
    individual_notice_delivered(ledger, on="2023-03-08")
    close_day(ledger, d("2023-04-20"))
    # P2: the surcharges of three started months (21.25) first, then 988.75 of the principal
    pay(ledger, views.debt_table(ledger, AFM)["identity_code"], "1010.00", "2023-04-20", "TX-G13")
    assert views.debt_table(ledger, AFM)["items"][0]["outstanding"] == d_money("11.25")
    with pytest.raises(NotAllowed, match=r"below 15.00 EUR \(G13\)"):
        record_measure(ledger, AFM, "seizure", ["2022-12:contribution"], "R", d("2023-04-20"))


def test_n4_invitation_delivery_before_its_issue_and_unknown_notices_are_refused(ledger):
    overdue_debtor(ledger)
    close_day(ledger, d("2023-02-01"))
    before = count(ledger)
    with pytest.raises(NotAllowed, match=r"--date: 2023-01-31 is before notice INV-100000003-20230201 was issued"):
        deliver_notice(ledger, "INV-100000003-20230201", "post", "P", d("2023-01-31"))
    with pytest.raises(NotFound, match="NOTICE_ID: no notice INV-100000003-20230301"):
        deliver_notice(ledger, "INV-100000003-20230301", "post", "P", d("2023-02-02"))
    with pytest.raises(BadInput, match="--proof"):
        deliver_notice(ledger, "INV-100000003-20230201", "post", None, d("2023-02-02"))
    assert count(ledger) == before


def covid_after_notices(ledger):
    """An item due 2020-04-30 taken through invitation and individual notice in 2020,
    a garnishment and a seizure on it, then a covid-650 arrangement on 2021-12-01."""
    debtor(ledger, AFM, business_date=d("2020-05-04"))
    transfer(ledger, AFM, "1200.00", "2020-04-30", "2020-03", "OAEE-1", on="2020-05-04")
    close_day(ledger, d("2020-05-04"))
    deliver_notice(ledger, "INV-100000003-20200504", "post", "P-1", d("2020-05-05"))
    close_day(ledger, d("2020-06-05"))  # 2020-05-05 + 30 = Thursday 2020-06-04: the notice on the 5th
    deliver_notice(ledger, "IND-100000003-20200605", "post", "P-2", d("2020-06-08"))
    close_day(ledger, d("2020-07-09"))  # 2020-06-08 + 30 = Wednesday 2020-07-08
    garnishment = record_measure(ledger, AFM, "garnishment", ["2020-03:contribution"], "ΚΑΤ-1", d("2020-07-09"))
    seizure = record_measure(ledger, AFM, "seizure", ["OAEE:2020-03:contribution"], "ΚΑΤ-2", d("2020-07-09"))
    close_day(ledger, d("2021-12-01"))
    arrangement = apply_for_arrangement(ledger, AFM, "covid-650", d("2021-12-01"), 12)
    return arrangement, garnishment["id"], seizure["id"]


def test_n8_n9_n10_n12_covid_lifts_garnishments_suspends_measures_until_lost(ledger):
    arrangement, garnishment, seizure = covid_after_notices(ledger)
    measures = {m["id"]: m for m in views.debt_table(ledger, AFM)["measures"]}
    assert measures[garnishment]["lifted_on"] == date(2021, 12, 1)  # N9: lifted on joining
    assert measures[garnishment]["lift_reason"] == f"joined arrangement {arrangement.payment_code} (N9)"
    assert measures[seizure]["lifted_on"] is None  # N10: a seizure stays
    # Before its first instalment is paid the arrangement does not run yet [P]: nothing suspended
    assert views.debt_table(ledger, AFM, d("2021-12-02"))["enforcement"] == "allowed"
    pay(ledger, arrangement.payment_code, "113.33", "2021-12-20", "TX-1")  # C6: active
    close_day(ledger, d("2021-12-20"))
    table = views.debt_table(ledger, AFM, d("2021-12-20"))
    assert (table["enforcement"], table["criminal_proceedings"]) == ("suspended", "suspended")  # N8, N14
    with pytest.raises(NotAllowed, match=r"covered by a kept arrangement \(N7, N8\)"):
        record_measure(ledger, AFM, "garnishment", ["2020-03:contribution"], "ΚΑΤ-3", d("2021-12-20"))
    # instalments 2 and 3 unpaid: in arrears it is still kept (N8 [P]) until lost (C8), the
    # day after the third's deadline, 2022-02-28
    close_day(ledger, d("2022-02-28"))
    assert views.debt_table(ledger, AFM, d("2022-02-28"))["enforcement"] == "suspended"
    close_day(ledger, d("2022-03-01"))
    view = views.arrangement_view(ledger, arrangement.payment_code)
    assert (view["status"], view["lost_on"]) == ("lost", date(2022, 3, 1))
    # N12: the individual notice delivered before joining stays valid, its period long run
    measure = record_measure(ledger, AFM, "garnishment", ["2020-03:contribution"], "ΚΑΤ-3", d("2022-03-01"))
    assert measure["id"] == "M-100000003-3"
    table = views.debt_table(ledger, AFM)
    assert (table["enforcement"], table["criminal_proceedings"]) == ("allowed", "allowed")
    # N11: the limitation completes no sooner than a year after the loss
    assert table["arrangements"][0]["limitation_not_before"] == date(2023, 3, 1)
    assert views.debt_table(ledger, AFM, d("2022-02-28"))["arrangements"][0]["limitation_not_before"] is None


def test_the_agenda_issues_what_looking_at_every_debtor_every_day_issues(ledger, tmp_path):
    """The fast path (the agenda) against the plain one, on two ledgers fed alike."""
    from ledger.application import Ledger

    plain = Ledger(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        for app in (ledger, plain):
            for afm, amount, due in ((AFM, "1000.00", "2023-01-31"), (AFM2, "300.00", "2023-02-28"),
                                     (AFM3, "12.00", "2023-01-31")):
                debtor(app, afm, business_date=d("2023-01-20"))
                transfer(app, afm, amount, due, "2022-12", f"T-{afm}", on="2023-01-20")
        for day, deliveries in (("2023-01-20", ()), ("2023-02-10", (f"INV-{AFM}-20230201",)),
                                ("2023-03-05", (f"INV-{AFM2}-20230301", f"INV-{AFM3}-20230201")),
                                ("2023-05-20", (f"IND-{AFM}-20230314",)), ("2023-07-31", ())):
            close_day(ledger, d(day))
            close_day_everyone(plain, d(day))
            for number in deliveries:
                for app in (ledger, plain):
                    deliver_notice(app, number, "post", "P", d(day))
        for afm in (AFM, AFM2, AFM3):
            assert numbers(ledger, afm) == numbers(plain, afm)
        assert numbers(ledger, AFM) == ["INF-100000003-OAEE", "INV-100000003-20230201", "IND-100000003-20230314"]
        assert numbers(ledger, AFM2) == ["INF-100000015-OAEE", "INV-100000015-20230301", "IND-100000015-20230405"]
    finally:
        plain.close()


def close_day_everyone(ledger, day):
    """``close_day`` with its notices' pass looking at every debtor every day."""
    from dataclasses import replace

    from ledger.handlers.notices import issue_notices

    settings = ledger.settings
    ledger.settings = replace(settings, notices=replace(settings.notices, auto=False))
    try:
        close_day(ledger, day)
    finally:
        ledger.settings = settings
    issue_notices(ledger, day, everyone=True)


def test_w8_opening_a_notice_in_the_account_is_its_electronic_delivery_and_its_first_opening(ledger):
    from ledger.handlers.notices import deliver_notice, open_in_account

    overdue_debtor(ledger)
    close_day(ledger, d("2023-02-01"))
    view = open_in_account(ledger, "INV-100000003-20230201", d("2023-02-02"))
    assert (view["channel"], view["delivered_on"], view["deadline"], view["opened_on"]) == (
        "electronic", date(2023, 2, 2), date(2023, 3, 6), date(2023, 2, 2))
    again = open_in_account(ledger, "INV-100000003-20230201", d("2023-02-09"))  # the first opening only
    assert (again["delivered_on"], again["opened_on"]) == (date(2023, 2, 2), date(2023, 2, 2))
    assert notices(ledger, kind="invitation")[0]["opened_on"] == date(2023, 2, 2)
    # delivered by post first: opening it later records the opening only, the post's delivery stays (N3)
    close_day(ledger, d("2023-03-20"))
    number = notices(ledger, kind="individual_notice")[0]["id"]
    deliver_notice(ledger, number, "post", "ΕΛΤΑ RR123", d("2023-03-21"))
    opened = open_in_account(ledger, number, d("2023-03-25"))
    assert (opened["channel"], opened["delivered_on"], opened["opened_on"]) == (
        "post", date(2023, 3, 21), date(2023, 3, 25))


def test_the_notices_read_model_answers_as_the_events_and_rebuilds_to_the_same_rows(ledger):
    from projections import reader
    from projections.runner import Runner
    from tests.integration.projections.helpers import active_rows, mismatches

    covid_after_notices(ledger)
    runner = Runner(ledger, ledger.db_url)
    runner.catch_up()
    with reader.reading(runner) as r:
        assert views.debt_table(r, AFM) == views.debt_table(ledger, AFM)
        assert notice_views.notices_view(r, AFM) == notice_views.notices_view(ledger, AFM)
    assert mismatches(ledger, runner) == []
    before = active_rows(runner)["notices"]
    assert len(before["notices"]) == 3 and len(before["measures"]) == 2
    assert runner.rebuild(["notices"])
    assert active_rows(runner)["notices"] == before
