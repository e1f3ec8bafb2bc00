"""Human output in Greek by default, English with ``LEDGER_LANG=en`` (interfaces
§1.7, issue 14): complete catalogues, the labels of every column and value, and the
domain's reasons read in the reader's language while ``--json`` keeps them as they are."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aggregates.debtor import KINDS
from aggregates.status import Status
from ledger import catalogues
from ledger.entrypoints import labels
from ledger.i18n import money


@pytest.fixture
def greek(monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "el")


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "en")


def test_the_catalogues_are_complete_and_compiled():
    """Every marked message is in ledger.pot and translated in el; the committed .mo
    is what the .po compiles to (``python -m ledger.catalogues check``)."""
    assert list(catalogues.problems()) == []


def test_amounts_are_written_as_the_reader_writes_them(greek, monkeypatch):
    assert money(Decimal("1234.56")) == "1.234,56\xa0€"
    monkeypatch.setenv("LEDGER_LANG", "en")
    assert money(Decimal("1234.56")) == "€1,234.56"


@pytest.mark.parametrize("value", [*Status, *KINDS, "pending", "due", "paid", "missed", "overdue", "current",
                                   "arrangement", "no_debt", "allowed", "assigned", "refunded", "recalled", True,
                                   False, "cancel", "amend", "community", "municipal_unit"])
def test_every_value_of_the_program_has_a_greek_word(greek, value):
    assert labels.word(value) != str(value)


def test_every_outcome_has_a_greek_word(greek):
    for status in labels.OUTCOMES:
        assert labels.outcome(status) != status


@pytest.mark.parametrize("stored, greek_text", [
    ("debtor 400000013 owes nothing outside arrangements (P2)",
     "ο οφειλέτης 400000013 δεν οφείλει τίποτα εκτός ρυθμίσεων (P2)"),
    ("not a valid RF reference (The number's checksum or check digit is invalid.) (C10)",
     "μη έγκυρος κωδικός πληρωμής RF (Το ψηφίο ελέγχου του αριθμού είναι άκυρο.) (C10)"),
    ("overdue debt outside arrangements 1003.65 EUR exceeds 15.00 EUR (V2)",
     "ληξιπρόθεσμη οφειλή εκτός ρυθμίσεων 1.003,65 € πάνω από το όριο των 15,00 € (V2)"),
    ("unit 410000254: arrangement RF48A650100000052001 has 412.60 EUR past due (V2) (G16)",
     "μονάδα 410000254: η ρύθμιση RF48A650100000052001 έχει ληξιπρόθεσμα 412,60 € (V2) (G16)"),
    ("nothing owed on arrangement RF48A650100000052001: it is lapsed (P5)",
     "τίποτα οφειλόμενο στη ρύθμιση RF48A650100000052001: κατάσταση δεν ενεργοποιήθηκε (P5)"),
    ("an operator's own words", "an operator's own words"),
    ("{0.__class__} [/x]", "{0.__class__} [/x]"),
])
def test_a_reason_stored_in_english_reads_in_greek(greek, stored, greek_text):
    assert labels.say(stored) == greek_text


def test_english_reasons_keep_their_words_with_english_figures(english):
    assert labels.say("overdue debt outside arrangements 9241.68 EUR exceeds 15.00 EUR (V2)") == (
        "overdue debt outside arrangements 9,241.68 EUR exceeds 15.00 EUR (V2)")


def test_the_templates_matched_are_the_catalogue_messages_with_fields():
    patterns = {template for _, template in labels.templates()}
    assert "debtor {afm} owes nothing outside arrangements (P2)" in patterns
    assert "arrangement {payment_code} has {arrears} EUR past due (V2)" in patterns
