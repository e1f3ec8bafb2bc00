"""The printed documents (ledger.documents): each rendered from a literal dict,
read back with poppler's pdftotext and its first page rasterised with pdftoppm."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from ledger.documents import clearance_pdf, debt_table_pdf, notice_pdf

if shutil.which("pdftotext") is None:
    if os.environ.get("CI") == "true":
        pytest.fail("pdftotext (poppler-utils) is not installed: CI reads the documents back for real", pytrace=False)
    pytest.skip("pdftotext (poppler-utils) is not installed", allow_module_level=True)

AFM = "090000001"
ESCAPED_NAME = "Α&Β Ο.Ε. <test>"
RF = "RF18 0900 0000 1"
SERVICE = "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών"
PREFIXES = {"invitation": "INV", "individual_notice": "IND", "information": "INF"}
KINDS = ["contribution", "surcharge", "fee", "clearing_instalment", "insurance_time_recognition", "contribution"]


def m(text: str) -> Decimal:
    return Decimal(text)


def notice(kind: str = "individual_notice", name: str = "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ", items: int = 2,
           deadline: date | None = date(2023, 3, 31)) -> dict:
    """A notice of ``items`` items; the first two add up to 1.234,56 €."""
    rows = [
        {"item_id": "OAEE:T1:1", "fund": "OAEE", "period": "2019-03", "kind": "contribution",
         "amount": m("1000.00"), "surcharges": m("134.56"), "outstanding": m("1134.56")},
        {"item_id": "IKA:T2:7", "fund": "IKA", "period": "2020-11", "kind": "surcharge",
         "amount": m("90.00"), "surcharges": m("10.00"), "outstanding": m("100.00")},
    ]
    for n in range(2, items):
        rows.append({"item_id": f"OGA:T3:{n}", "fund": "OGA", "period": f"2021-{n % 12 + 1:02d}",
                     "kind": KINDS[n % len(KINDS)], "amount": m("50.00"), "surcharges": m("5.25"),
                     "outstanding": m("55.25")})
    rows = rows[:items]
    return {
        "id": f"{PREFIXES[kind]}-{AFM}-20230301",
        "kind": kind, "afm": AFM, "name": name, "service": SERVICE, "identity_code": RF,
        "issued_on": date(2023, 3, 1),
        "items": [] if kind == "information" else rows,
        "total": m("0") if kind == "information" else sum((r["outstanding"] for r in rows), m("0")),
        "period_days": 30, "deadline": deadline,
        "delivered_on": date(2023, 3, 1) if deadline else None, "channel": "electronic" if deadline else None,
        "proof": "gov.gr/EP-4471" if deadline else None, "fund": "OAEE" if kind == "information" else None,
    }


def clearance(clear: bool = True, basis: str | None = "arrangement") -> dict:
    return {"afm": AFM, "as_of": date(2023, 3, 15), "clear": clear,
            "valid_until": date(2023, 5, 15) if clear else None,
            "reasons": [] if clear else ["overdue debt 500.00 outside arrangements"],
            "basis": basis if clear else None, "overdue_outside_arrangements": m("0.00") if clear else m("500.00")}


def debtor(name: str = "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ") -> dict:
    return {"afm": AFM, "name": name, "service": SERVICE}


STATUSES = ["overdue", "in_arrangement", "paid", "current", "suspended", "due_at_once", "settled"]


def debt_table(items: int = 5, name: str = "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ") -> dict:
    rows = []
    for n in range(items):
        status = STATUSES[n % len(STATUSES)]
        arranged = status in ("in_arrangement", "suspended", "due_at_once", "settled")
        rows.append({
            "item_id": f"OAEE:T{n}:1", "fund": ["OAEE", "IKA", "OGA", "ETAA"][n % 4],
            "period": f"{2015 + n // 12}-{n % 12 + 1:02d}", "kind": KINDS[n % len(KINDS)],
            "due_date": date(2015 + n // 12, n % 12 + 1, 28), "amount": m("120.00"), "surcharges": m("12.34"),
            "interest": m("1.50") if arranged else m("0.00"), "paid": m("0.00"), "outstanding": m("133.84"),
            "status": status, "arrangement": "RF47 1234 5678 9" if arranged else None,
            "enforceable": status == "overdue",
        })
    totals = {k: sum((r[k] for r in rows), m("0")) for k in ("amount", "surcharges", "interest", "paid", "outstanding")}
    return {
        "afm": AFM, "name": name, "service": SERVICE, "identity_code": RF, "as_of": date(2023, 3, 15),
        "total_outstanding": totals["outstanding"], "totals": totals, "items": rows,
        "arrangements": [{
            "id": "A-1", "scheme": "covid-650", "status": "active", "payment_code": "RF47 1234 5678 9",
            "capital": m("4800.00"), "interest_total": m("120.00"), "instalment_count": 72, "arrears": m("0.00"),
            "next_due_date": date(2023, 3, 31), "next_due_amount": m("68.33"), "remaining_balance": m("3800.00"),
            "paid_instalments": 15, "paid": m("1120.00"),
        }],
        "credit": m("12.00"), "enforcement": "suspended", "criminal_proceedings": "allowed",
        "notices": [{"id": f"IND-{AFM}-20230301", "kind": "individual_notice", "issued_on": date(2023, 3, 1),
                     "delivered_on": date(2023, 3, 1), "deadline": date(2023, 3, 31), "total": m("1234.56"),
                     "status": "delivered"}],
        "measures": [{"id": "M-1", "measure": "garnishment", "items": ["OAEE:2015-01:contribution", "OAEE:2015-08:surcharge"],
                      "reference": "ΚΑΤ-2023/117", "recorded_on": date(2023, 4, 20), "lifted_on": None,
                      "lift_reason": None}],
    }


def text_of(pdf: bytes, tmp_path, name: str, *pages: int) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", "-layout", *first_last, str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def page_count(pdf: bytes, tmp_path, name: str) -> int:
    text = text_of(pdf, tmp_path, name)
    return text.count("\f") if text.endswith("\f") else text.count("\f") + 1


def png_size(pdf: bytes, tmp_path, name: str) -> tuple[int, int]:
    """Width and height of page 1 rasterised at 60 dpi, read from the PNG's IHDR."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / name)], check=True)
    png = (tmp_path / f"{name}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("kind, title", [("invitation", "ΠΡΟΣΚΛΗΣΗ ΓΙΑ ΤΑΚΤΟΠΟΙΗΣΗ ΟΦΕΙΛΩΝ"),
                                         ("individual_notice", "ΑΤΟΜΙΚΗ ΕΙΔΟΠΟΙΗΣΗ")])
def test_notice_shows_debtor_items_total_code_and_deadline(tmp_path, kind, title):
    text = text_of(notice_pdf(notice(kind)), tmp_path, kind)
    for expected in (title, "ΕΝΙΑΙΟΣ ΦΟΡΕΑΣ ΚΟΙΝΩΝΙΚΗΣ ΑΣΦΑΛΙΣΗΣ",
                     "ΚΕΝΤΡΟ ΕΙΣΠΡΑΞΗΣ ΑΣΦΑΛΙΣΤΙΚΩΝ ΟΦΕΙΛΩΝ (Κ.Ε.Α.Ο.)", SERVICE,
                     f"{PREFIXES[kind]}-{AFM}-20230301", "01/03/2023",
                     "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ", f"Α.Φ.Μ.: {AFM}", "2019-03", "2020-11", "Εισφορές", "Πρόσθετα τέλη",
                     "1.000,00 €", "134,56 €", "1.134,56 €", "Σύνολο", "1.234,56 €",
                     f"Κωδικός πληρωμής (RF): {RF}",
                     "Προθεσμία: 30 ημερολογιακές ημέρες από την επομένη της επίδοσης",
                     "Λήξη προθεσμίας: 31/03/2023", "Σελίδα 1 από 1"):
        assert expected in text, expected
    assert "4978" not in text
    if kind == "individual_notice":
        assert "κατάσχεση εις χείρας τρίτων" in text.replace("\n", " ")
        assert "σύμφωνα με τις διατάξεις για την είσπραξη δημοσίων εσόδων" in " ".join(text.split())
    else:
        assert "ατομική ειδοποίηση" in " ".join(text.split())


def test_notice_before_delivery_has_no_deadline_date(tmp_path):
    text = text_of(notice_pdf(notice("invitation", deadline=None)), tmp_path, "undelivered")
    assert "Προθεσμία: 30 ημερολογιακές ημέρες από την επομένη της επίδοσης" in text
    assert "Λήξη προθεσμίας" not in text


def test_information_notice_names_the_fund_and_the_e_services(tmp_path):
    text = " ".join(text_of(notice_pdf(notice("information")), tmp_path, "information").split())
    for expected in ("ΕΝΗΜΕΡΩΣΗ ΓΙΑ ΤΗ ΜΕΤΑΦΟΡΑ ΟΦΕΙΛΩΝ ΣΤΟ Κ.Ε.Α.Ο.", f"Α.Φ.Μ.: {AFM}", "ΟΑΕΕ",
                     "Ηλεκτρονικές Υπηρεσίες προς Οφειλέτες", "TAXISnet", SERVICE, RF):
        assert expected in text, expected
    assert "Σύνολο" not in text and "Προθεσμία" not in text


def test_names_are_escaped_and_shown_as_given(tmp_path):
    for name, pdf in (("notice", notice_pdf(notice(name=ESCAPED_NAME))),
                      ("clearance", clearance_pdf(clearance(), debtor(ESCAPED_NAME))),
                      ("table", debt_table_pdf(debt_table(name=ESCAPED_NAME)))):
        text = text_of(pdf, tmp_path, name)
        assert ESCAPED_NAME in text, name
        assert "&amp;" not in text and "&lt;" not in text, name


def test_unknown_notice_kind_is_refused():
    with pytest.raises(ValueError):
        notice_pdf(notice() | {"kind": "summons"})


@pytest.mark.parametrize("basis, wording", [("arrangement", "λόγω υπαγωγής σε ρύθμιση"),
                                            ("no_debt", "Δεν υφίστανται ληξιπρόθεσμες οφειλές")])
def test_clearance_certificate(tmp_path, basis, wording):
    text = text_of(clearance_pdf(clearance(basis=basis), debtor()), tmp_path, basis)
    flat = " ".join(text.split())
    for expected in ("ΑΠΟΔΕΙΚΤΙΚΟ ΑΣΦΑΛΙΣΤΙΚΗΣ ΕΝΗΜΕΡΟΤΗΤΑΣ", f"Α.Φ.Μ.: {AFM}", "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ",
                     "ασφαλιστικά ενήμερος", "15/03/2023", "Ισχύει έως: 15/05/2023", wording):
        assert expected in flat, expected


def test_no_certificate_for_a_debtor_who_is_not_clear():
    with pytest.raises(ValueError):
        clearance_pdf(clearance(clear=False), debtor())
    with pytest.raises(ValueError):
        clearance_pdf(clearance(), debtor() | {"afm": "090000002"})


def test_debt_table(tmp_path):
    text = text_of(debt_table_pdf(debt_table(7)), tmp_path, "table")
    for expected in ("ΠΙΝΑΚΑΣ ΧΡΕΩΝ ΟΦΕΙΛΕΤΗ", f"Α.Φ.Μ.: {AFM}", RF, "15/03/2023", "2015-01", "2015-07",
                     "Ληξιπρόθεσμη", "Σε ρύθμιση", "Εξοφλημένη", "Εξοφλήθηκε", "Σε αναστολή", "Τρέχουσα",
                     "Ρύθμιση COVID-19 (τύπος 650)", "Ενεργή", "15 / 72", "4.800,00 €",
                     "Συνολική οφειλή: 936,88 €", "Αναγκαστική είσπραξη: Σε αναστολή", "Ποινική δίωξη: Επιτρέπεται",
                     f"IND-{AFM}-20230301", "Ατομική ειδοποίηση", "1.234,56 €", "Κατάσχεση εις χείρας τρίτων",
                     "ΚΑΤ-2023/117", "20/04/2023",
                     "Σύνολο", "936,88 €"):
        assert expected in text, expected


def test_a_long_debt_table_repeats_its_header_on_the_next_page(tmp_path):
    pdf = debt_table_pdf(debt_table(80))
    assert page_count(pdf, tmp_path, "long") >= 2
    second = text_of(pdf, tmp_path, "long", 2, 2)
    for header in ("Φορέας", "Περίοδος", "Προσαυξήσεις", "Οφειλή", "Κατάσταση"):
        assert header in second, header
    assert "Σελίδα 2 από" in second


@pytest.mark.parametrize("name, pdf, portrait", [
    ("notice", lambda: notice_pdf(notice()), True),
    ("clearance", lambda: clearance_pdf(clearance(), debtor()), True),
    ("table", lambda: debt_table_pdf(debt_table()), False),
])
def test_first_page_is_a4(tmp_path, name, pdf, portrait):
    width, height = png_size(pdf(), tmp_path, name)
    ratio = width / height if portrait else height / width
    assert abs(ratio - 210 / 297) < 0.01, (width, height)
