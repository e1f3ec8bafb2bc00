"""ΑΠΔ declarations through the handlers, on both stores (domain §12): idempotent
submission (D4), the history K8 counts across employers, the K20 override, assessment
into the employer's debt (K21) and corrections' differences (K22)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from aggregates.apd_rules import Dated
from aggregates.errors import NotAllowed
from consumers.apd_messages import ApdMessage
from ledger import audit_views, views
from ledger.application import Ledger
from ledger.commands import DeclarationInput
from ledger.errors import NotFound, TransferConflict
from ledger.handlers.apd import correct_declaration, finalise_declaration, submit_declaration
from ledger.settings import load_settings
from projections import reader as projected
from projections.runner import Runner
from tests.integration.helpers import AFM, AFM2, UNREGISTERED, count, d, debtor, m

PERSON = "01016512343"


def row(record: str, days: int = 25, period: str = "2004-09", contributions: str = "440.60",
        insured_since: str = "1985-03-01", earnings: str = "1000.00", amka: str = PERSON) -> dict:
    return {"record": record, "amka": amka, "insured_since": insured_since, "package": "101",
            "earnings_type": "01", "wage_period": period, "from": f"{period}-01", "to": f"{period}-30", "days": days,
            "earnings": earnings, "contributions": contributions, "employer_subsidy": "0.00",
            "employee_subsidy": "0.00"}


def apd(apd_id: str, *records: dict, employer: str = AFM) -> DeclarationInput:
    message = {"apd_id": apd_id, "employer_afm": employer, "legal_form": "010", "public_like": False,
               "submitted_on": "2004-10-15", "records": list(records)}
    return ApdMessage.from_bytes(json.dumps(message)).command()


def submitted(ledger: Ledger, *args, **kwargs):
    return submit_declaration(ledger, apd(*args, **kwargs), d("2004-10-15"))


@pytest.fixture
def employers(ledger):
    debtor(ledger, AFM, business_date=d("2004-10-01"))
    debtor(ledger, AFM2, "Βήτα ΟΕ", business_date=d("2004-10-01"))
    return ledger


def test_the_same_apd_again_changes_nothing_and_other_content_is_refused(employers):
    """D4: by its submission id."""
    status, first = submitted(employers, "A-1", row("1"))
    assert (status, first.status, first.codes) == ("recorded", "ready", {"1": ()})
    before = count(employers)
    assert submitted(employers, "A-1", row("1"))[0] == "duplicate"
    with pytest.raises(TransferConflict) as conflict:
        submitted(employers, "A-1", row("1", days=20))
    assert conflict.value.field == "apd_id"
    assert count(employers) == before


def test_an_employer_not_registered_is_refused_and_nothing_recorded(employers):
    before = count(employers)
    with pytest.raises(NotFound) as refused:
        submitted(employers, "A-1", row("1"), employer=UNREGISTERED)
    assert refused.value.field == "employer_afm"
    assert count(employers) == before


def test_122_counts_the_finalised_history_of_every_employer(employers):
    """K8 [P]: another employer's finalised records of the person's month count; a
    pending declaration's do not, nor a finalised record that still has codes; K19:
    finalising checks again against the history as it is then."""
    submitted(employers, "A-1", row("1", days=20))
    assert submitted(employers, "B-1", row("1", days=11), employer=AFM2)[1].codes == {"1": ()}  # A-1 pending
    finalise_declaration(employers, "A-1", {})
    late = finalise_declaration(employers, "B-1", {})
    assert (late.codes, late.in_history) == ({"1": (122,)}, set())  # 20 + 11 > 30
    assert submitted(employers, "B-2", row("1", days=10), employer=AFM2)[1].codes == {"1": ()}  # 20 + 10 = 30
    finalise_declaration(employers, "B-2", {})
    assert submitted(employers, "B-3", row("1", days=1), employer=AFM2)[1].codes == {"1": (122,)}  # 31
    wrong = submitted(employers, "A-2", row("1", period="2004-11", days=20, contributions="0.00"))[1]
    finalise_declaration(employers, "A-2", {})
    assert wrong.codes == {"1": (70,)} and employers.declaration("A-2").in_history == set()
    assert submitted(employers, "B-4", row("1", period="2004-11", days=20), employer=AFM2)[1].codes == {"1": ()}


def test_finalising_assesses_what_was_declared_whatever_the_codes(employers):
    """K21, K22: one IKA item per wage period, the record with codes included, due by the
    last working day of the next month; the insurance history takes only the correct."""
    submitted(employers, "A-1", row("1"), row("2", amka="02027012349", contributions="400.00"),
              row("3", period="2004-08"))
    finalised = finalise_declaration(employers, "A-1", {}, d("2004-10-20"))
    assert finalised.in_history == {"1", "3"}
    table = views.debt_table(employers, AFM, d("2004-10-20"))
    assert [(i["item_id"], i["apd_id"], i["period"], i["amount"], i["due_date"]) for i in table["items"]] == [
        ("IKA:A-1:2004-08", "A-1", "2004-08", m("440.60"), d("2004-09-30")),
        ("IKA:A-1:2004-09", "A-1", "2004-09", m("840.60"), d("2004-10-29")),
    ]
    with pytest.raises(NotAllowed):
        finalise_declaration(employers, "A-1", {})
    assert [i["item_id"] for i in views.debt_table(employers, AFM, d("2004-10-20"))["items"]] == [
        "IKA:A-1:2004-08", "IKA:A-1:2004-09"]


def test_a_correction_of_a_finalised_apd_assesses_the_difference_and_a_credit(employers):
    """K22: up: a new item of the same period and due date; down: the employer's credit,
    which pays its oldest debt (O5); the first item stays as assessed."""
    submitted(employers, "A-1", row("1"), row("2"))
    finalise_declaration(employers, "A-1", {}, d("2004-10-20"))
    correct_declaration(employers, "A-1", [row("2", contributions="500.00")], d("2004-10-21"))
    items = views.debt_table(employers, AFM, d("2004-10-21"))["items"]
    assert [(i["item_id"], i["amount"], i["due_date"]) for i in items] == [
        ("IKA:A-1:2004-09", m("881.20"), d("2004-10-29")), ("IKA:A-1:2004-09:2", m("59.40"), d("2004-10-29"))]
    correct_declaration(employers, "A-1", [row("1", contributions="400.00")], d("2004-10-22"))
    table = views.debt_table(employers, AFM, d("2004-10-22"))
    assert table["total_outstanding"] == m("900.00")  # 881.20 + 59.40 − 40.60
    assert [(i["item_id"], i["paid"]) for i in table["items"]] == [("IKA:A-1:2004-09", m("40.60")),
                                                                   ("IKA:A-1:2004-09:2", m("0.00"))]


def test_a_correction_that_makes_a_record_wrong_takes_it_out_of_the_history(employers):
    """K8: only a record's current version counts: corrected and still correct, it stays
    in with its new days; corrected into an error, it leaves."""
    submitted(employers, "A-1", row("1", days=25))
    finalise_declaration(employers, "A-1", {})
    assert correct_declaration(employers, "A-1", [row("1", days=20)]).in_history == {"1"}
    assert submitted(employers, "B-0", row("1", days=11), employer=AFM2)[1].codes == {"1": (122,)}  # 20 + 11
    correct_declaration(employers, "A-1", [row("1", days=20, contributions="0.00")])
    assert employers.declaration("A-1").in_history == set()
    assert submitted(employers, "B-1", row("1", days=30), employer=AFM2)[1].codes == {"1": ()}


@pytest.fixture
def with_ceilings(db_url):
    """K5 with ceilings configured (the seed gives none): 2,000 old, 5,000 new."""
    shipped = load_settings()
    apd_rules = replace(shipped.apd, old_ceiling=Dated.of([(None, m("2000.00"))]),
                        new_ceiling=Dated.of([(None, m("5000.00"))]))
    ledger = Ledger(db_url, settings=replace(shipped, apd=apd_rules))
    debtor(ledger, AFM, business_date=d("2004-10-01"))
    yield ledger
    ledger.close()


def test_the_k20_override_lets_through_what_a_pending_status_change_explains(with_ceilings):
    """K20: the register still has the person as new (below the 5,000 ceiling: 141), the
    form filed makes them old (above the 2,000 πλαφόν: 2,000 × 44.06% = 881.20 is right)."""
    registered_new = row("1", earnings="2500.00", contributions="881.20", insured_since="1995-01-01")
    really_wrong = row("2", amka="02027012349", contributions="0.00")
    submitted(with_ceilings, "A-1", registered_new, really_wrong, row("3", amka="03038012344"))
    with pytest.raises(NotAllowed) as refused:
        finalise_declaration(with_ceilings, "A-1", {"2": "ΕΜΣΑ-7"})
    assert refused.value.reason == ("record 2 has errors 70 that a change of its old/new status does not explain: "
                                    "it would still have 82, 141 (K20)")
    with pytest.raises(NotAllowed) as nothing_to_override:
        finalise_declaration(with_ceilings, "A-1", {"3": "ΕΜΣΑ-9"})
    assert nothing_to_override.value.reason == "record 3 has no error to override (K20)"
    finalised = finalise_declaration(with_ceilings, "A-1", {"1": "ΕΜΣΑ-7"})
    assert (finalised.overrides, finalised.in_history, finalised.codes["1"]) == ({"1": "ΕΜΣΑ-7"}, {"1", "3"}, (141,))


def test_an_override_is_checked_against_the_history_too(with_ceilings):
    """K8, K20: the history finalising read already counts for the override: a record with
    122 besides 141 is not let through by a form that would only change its status."""
    submitted(with_ceilings, "A-1", row("1", days=20))
    finalise_declaration(with_ceilings, "A-1", {})
    submitted(with_ceilings, "A-2", row("1", days=15, earnings="2500.00", contributions="881.20",
                                        insured_since="1995-01-01"))
    with pytest.raises(NotAllowed) as refused:
        finalise_declaration(with_ceilings, "A-2", {"1": "ΕΜΣΑ-7"})
    assert refused.value.reason == ("record 1 has errors 122, 141 that a change of its old/new status does not "
                                    "explain: it would still have 122 (K20)")


def test_the_read_models_show_the_assessed_items_and_the_audit_the_declarations(employers, db_url):
    """interfaces §1.4: the debt table read model has the items with their ΑΠΔ id; the
    audit of the employer includes its declarations, and of an ΑΠΔ its own events."""
    submitted(employers, "A-1", row("1"))
    finalise_declaration(employers, "A-1", {}, d("2004-10-20"))
    runner = Runner(employers, db_url)
    runner.catch_up()
    with projected.reading(runner) as reader:
        assert views.debt_table(reader, AFM, d("2004-10-20")) == views.debt_table(employers, AFM, d("2004-10-20"))
        assert [e["type"] for e in reader.audit("A-1")] == ["Submitted", "Finalised"]
        assert [e["type"] for e in reader.audit(AFM)] == [
            "Registered", "DeclarationFiled", "Submitted", "Finalised", "DebtAssessed"]
    assert [e["type"] for e in audit_views.audit(employers, "A-1")] == ["Submitted", "Finalised"]
    with pytest.raises(NotFound):
        audit_views.audit(employers, "A-9")
    assert Decimal(views.debt_table(employers, AFM, d("2004-10-20"))["total_outstanding"]) == m("440.60")
