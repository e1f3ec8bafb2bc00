"""D1 (debtors, units, owning service), D2 (debt items by transfer), D3
(surcharges on overdue items outside arrangements), D4 (idempotent transfers)."""

from __future__ import annotations

import pytest

from aggregates.debtor import Debtor
from aggregates.references import debtor_identity_code
from ledger import views
from ledger.commands import TransferInput, TransferItem
from ledger.errors import BadInput, NotFound, TransferConflict
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.transfers import record_transfer
from tests.integration.helpers import (
    AFM,
    AFM2,
    BAD_AFM,
    UNIT,
    UNIT2,
    UNREGISTERED,
    count,
    d,
    debtor,
    m,
    pay,
    transfer,
    types,
)


@pytest.fixture
def opened(ledger):
    close_day(ledger, d("2021-06-15"))
    return ledger


# -- D1 -------------------------------------------------------------------------


def test_d1_debtor_has_afm_name_service_and_units(opened):
    debtor(opened, AFM, "Κατάστημα Α.Ε.", service="ΠΥ ΚΕΑΟ Ρόδου")
    register_debtor(opened, UNIT, "Υποκατάστημα Λάρδου", parent_afm=AFM)
    register_debtor(opened, UNIT2, "Υποκατάστημα Αρχαγγέλου", parent_afm=AFM, service="ΠΥ ΚΕΑΟ Καρπάθου")

    head = opened.debtor(AFM)
    assert (head.afm, head.name, head.service) == (AFM, "Κατάστημα Α.Ε.", "ΠΥ ΚΕΑΟ Ρόδου")
    assert head.units == [UNIT, UNIT2]
    assert head.registered_on == d("2021-06-15")
    unit = opened.debtor(UNIT)
    assert unit.parent_afm == AFM
    assert unit.service == "ΠΥ ΚΕΑΟ Ρόδου"  # a unit without its own service belongs to its head office's
    assert opened.debtor(UNIT2).service == "ΠΥ ΚΕΑΟ Καρπάθου"
    assert types(opened, AFM) == ["Registered", "UnitAdded", "UnitAdded"]
    assert views.debt_table(opened, AFM)["service"] == "ΠΥ ΚΕΑΟ Ρόδου"


def test_d1_bad_or_unknown_identities_are_refused_and_nothing_recorded(opened):
    debtor(opened, AFM)
    before = count(opened)
    with pytest.raises(BadInput) as bad:
        register_debtor(opened, BAD_AFM, "Λάθος")
    assert bad.value.field == "afm"
    with pytest.raises(BadInput) as again:
        register_debtor(opened, AFM, "Ξανά")
    assert again.value.field == "afm" and "already registered" in again.value.reason
    with pytest.raises(NotFound) as parent:
        register_debtor(opened, UNIT, "Υποκατάστημα", parent_afm=UNREGISTERED)
    assert parent.value.field == "--parent"
    with pytest.raises(BadInput) as blank:
        register_debtor(opened, AFM2, "  ")
    assert blank.value.field == "--name"
    with pytest.raises(NotFound):
        opened.debtor(UNREGISTERED)
    assert count(opened) == before


def test_d1_without_a_business_date_the_date_is_required(ledger):
    with pytest.raises(BadInput) as error:
        debtor(ledger)
    assert error.value.field == "--date"
    assert count(ledger) == 0
    debtor(ledger, business_date=d("2021-01-04"))
    assert ledger.debtor(AFM).registered_on == d("2021-01-04")


def test_d1_g16_head_office_is_clear_only_when_its_units_are(opened):
    debtor(opened, AFM)
    register_debtor(opened, UNIT, "Υποκατάστημα", parent_afm=AFM)
    transfer(opened, UNIT, "100.00", "2021-01-31", "2020-12", "U-1")

    head = views.clearance(opened, AFM)
    assert head["clear"] is False and head["valid_until"] is None
    # G16: the unit's 100.00 overdue counts toward the business's 15.00
    assert head["reasons"] == [
        "overdue debt outside arrangements of the head office and its units 100.00 EUR exceeds 15.00 EUR (G16)"]
    assert head["units"] == [{"afm": UNIT, "overdue_outside_arrangements": m("100.00")}]
    assert views.clearance(opened, UNIT)["clear"] is False

    transfer(opened, UNIT, "10.00", "2021-05-31", "2021-04", "U-2", fund="IKA")
    # the unit pays off its debts with its debtor identity code: both clear
    assert pay(opened, debtor_identity_code(UNIT), "200.00", "2021-06-15", "U-PAY").status == "applied"
    assert views.clearance(opened, UNIT)["clear"] is True
    head = views.clearance(opened, AFM)
    assert head["clear"] is True and head["basis"] == "no_debt"


# -- D2 -------------------------------------------------------------------------


def test_d2_transfer_records_items_with_fund_period_kind_amount_due(opened):
    debtor(opened, AFM)
    items = (
        TransferItem("2020-11", "contribution", m("250.40"), d("2020-12-31")),
        TransferItem("2020-06", "clearing_instalment", m("80.00"), d("2020-07-31")),
        TransferItem("2019-01", "insurance_time_recognition", m("45.10"), d("2021-09-30")),
    )
    outcome = record_transfer(opened, TransferInput("OGA", AFM, items, transfer_id="OGA-77"))
    assert (outcome.status, outcome.target) == ("recorded", AFM)

    recorded = opened.debtor(AFM).items
    assert recorded["OGA:OGA-77:1"] == {
        "period": "2020-11", "kind": "contribution", "amount": m("250.40"), "due_date": d("2020-12-31"),
        "item_id": "OGA:OGA-77:1", "fund": "OGA", "received_on": d("2021-06-15"),
    }
    table = views.debt_table(opened, AFM)
    # oldest due first; not yet due is "current", overdue otherwise
    assert [(i["fund"], i["period"], i["kind"], i["amount"], i["status"]) for i in table["items"]] == [
        ("OGA", "2020-06", "clearing_instalment", m("80.00"), "overdue"),
        ("OGA", "2020-11", "contribution", m("250.40"), "overdue"),
        ("OGA", "2019-01", "insurance_time_recognition", m("45.10"), "current"),
    ]


def test_d2_a_transfer_for_an_unknown_debtor_registers_it_when_named(opened):
    with pytest.raises(NotFound) as error:
        transfer(opened, AFM, "10.00", "2021-01-31", "2020-12", "X-1")
    assert error.value.field == "afm"
    assert count(opened) == 1  # the business date only
    item = (TransferItem("2020-12", "contribution", m("10.00"), d("2021-01-31")),)
    record_transfer(opened, TransferInput("ETAA", AFM, item, transfer_id="E-1", name="Νέος Οφειλέτης"))
    assert opened.debtor(AFM).name == "Νέος Οφειλέτης"


@pytest.mark.parametrize(
    ("fund", "item", "field"),
    [
        ("EFKA", TransferItem("2020-12", "contribution", m("10.00"), d("2021-01-31")), "fund"),
        ("OAEE", TransferItem("2020-13", "contribution", m("10.00"), d("2021-01-31")), "items[1].period"),
        ("OAEE", TransferItem("2020-1", "contribution", m("10.00"), d("2021-01-31")), "items[1].period"),
        ("OAEE", TransferItem("2020-12", "penalty", m("10.00"), d("2021-01-31")), "items[1].kind"),
        ("OAEE", TransferItem("2020-12", "contribution", m("0.00"), d("2021-01-31")), "items[1].amount"),
        ("OAEE", TransferItem("2020-12", "contribution", m("-5.00"), d("2021-01-31")), "items[1].amount"),
    ],
)
def test_d2_malformed_transfers_name_the_field_and_record_nothing(opened, fund, item, field):
    debtor(opened, AFM)
    before = count(opened)
    with pytest.raises(BadInput) as error:
        record_transfer(opened, TransferInput(fund, AFM, (item,), transfer_id="BAD-1"))
    assert error.value.field == field
    assert count(opened) == before
    assert opened.debtor(AFM).items == {}


# -- D3 -------------------------------------------------------------------------


def test_d3_overdue_item_outside_arrangements_accrues_surcharges(opened):
    debtor(opened, AFM)
    transfer(opened, AFM, "1000.00", "2021-01-31", "2020-12", "S-1")
    # months of delay start 2021-02-01, 03-01, 04-01, 05-01, 06-01: 5 × 8%/12 × 1000
    item = views.debt_table(opened, AFM)["items"][0]
    assert (item["amount"], item["surcharges"], item["paid"], item["outstanding"], item["status"]) == (
        m("1000.00"), m("33.33"), m("0.00"), m("1033.33"), "overdue",
    )
    # the last day before the sixth month starts still counts five; that day six (40.00)
    assert views.debt_table(opened, AFM, d("2021-06-30"))["items"][0]["surcharges"] == m("33.33")
    close_day(opened, d("2021-07-01"))
    assert views.debt_table(opened, AFM)["items"][0]["surcharges"] == m("40.00")
    assert views.debt_table(opened, AFM, d("2021-06-15"))["total_outstanding"] == m("1033.33")


def test_d3_not_yet_due_items_accrue_nothing(opened):
    debtor(opened, AFM)
    transfer(opened, AFM, "300.00", "2021-06-30", "2021-05", "C-1")
    item = views.debt_table(opened, AFM)["items"][0]
    assert (item["surcharges"], item["outstanding"], item["status"]) == (m("0.00"), m("300.00"), "current")


# -- D4 -------------------------------------------------------------------------


def test_d4_the_same_transfer_twice_changes_nothing(opened):
    debtor(opened, AFM)
    assert transfer(opened, AFM, "500.00", "2021-03-31", "2021-02", "OAEE-2021-0001").status == "recorded"
    before = count(opened)
    again = transfer(opened, AFM, "500.00", "2021-03-31", "2021-02", "OAEE-2021-0001")
    assert (again.status, again.target) == ("duplicate", AFM)
    assert count(opened) == before
    assert len(opened.debtor(AFM).items) == 1
    assert views.debt_table(opened, AFM)["total_outstanding"] == m("510.00")  # 500 + 3 started months at 8%/12


def test_d4_same_id_with_other_content_is_a_conflict_and_nothing_recorded(opened):
    debtor(opened, AFM)
    transfer(opened, AFM, "500.00", "2021-03-31", "2021-02", "OAEE-2021-0001")
    before = count(opened)
    with pytest.raises(TransferConflict) as conflict:
        transfer(opened, AFM, "501.00", "2021-03-31", "2021-02", "OAEE-2021-0001")
    assert conflict.value.field == "transfer_id"
    assert "OAEE-2021-0001" in conflict.value.reason
    assert count(opened) == before
    assert [i["amount"] for i in opened.debtor(AFM).items.values()] == [m("500.00")]


def test_d4_the_same_id_from_another_fund_is_another_transfer(opened):
    debtor(opened, AFM)
    transfer(opened, AFM, "500.00", "2021-03-31", "2021-02", "T-1", fund="OAEE")
    assert transfer(opened, AFM, "70.00", "2021-03-31", "2021-02", "T-1", fund="OGA").status == "recorded"
    assert sorted(opened.debtor(AFM).items) == ["OAEE:T-1:1", "OGA:T-1:1"]


def test_d4_without_a_transfer_id_identical_content_is_recognised(opened):
    debtor(opened, AFM)
    item = (TransferItem("2021-02", "contribution", m("500.00"), d("2021-03-31")),)
    assert record_transfer(opened, TransferInput("IKA", AFM, item)).status == "recorded"
    before = count(opened)
    assert record_transfer(opened, TransferInput("IKA", AFM, item)).status == "duplicate"
    assert count(opened) == before
    assert Debtor.create_id(AFM) == opened.debtor(AFM).id
