"""``ledger.entrypoints.output``: stored text is printed as text (issue 12,
findings 2 and 9): never read as rich markup, and with the characters a
terminal would execute, reorder or hide shown escaped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from rich.console import Console
from rich.text import Text

from ledger.entrypoints.output import line, printable, table, text


def rendered(renderable) -> str:
    """What a plain 200-column terminal would show."""
    console = Console(width=200, color_system=None, force_terminal=False)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


@pytest.mark.parametrize("stored, shown", [
    ("Παπαδόπουλος [/x] [bold]ΑΕ", "Παπαδόπουλος [/x] [bold]ΑΕ"),
    ("a\\b [red]c\\", "a\\b [red]c\\"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("line\r\nnext\ttab\x00\x07\x7f\x85", "line\\r\\nnext\\ttab\\x00\\x07\\x7f\\x85"),
    ("abc\u202edef\u2066\u2069\u200e\u200f\u061c", "abc\\u202edef\\u2066\\u2069\\u200e\\u200f\\u061c"),
    ("\u200b\u200c\u200d\u2060\ufeff", "\\u200b\\u200c\\u200d\\u2060\\ufeff"),
    ("a\u2028b\u2029c\U000e0041", "a\\u2028b\\u2029c\\U000e0041"),
    ("lone \ud800", "lone \\ud800"),
    ("non\u00a0breaking space", "non\u00a0breaking space"),
    (None, ""),
    (Decimal("1200.50"), "1200.50"),
    (date(2021, 12, 1), "2021-12-01"),
    (UUID("155b5b75-1b35-53e1-852d-ad9c97d5008c"), "155b5b75-1b35-53e1-852d-ad9c97d5008c"),
    (12, "12"),
])
def test_printable_escapes_control_bidi_and_zero_width_characters_only(stored, shown):
    assert printable(stored) == shown


def test_printable_twice_is_printable_once():
    once = printable("Κακός \x1b[31m \u202e \u200b")
    assert printable(once) == once == "Κακός \\x1b[31m \\u202e \\u200b"


def test_text_is_never_markup_nor_emoji():
    assert text("[/x] [bold]b :thumbs_up:").plain == "[/x] [bold]b :thumbs_up:"
    assert rendered(text("[/x] [bold]b :thumbs_up:")) == "[/x] [bold]b :thumbs_up:\n"
    assert text("x", "bold").style == "bold"


def test_line_fills_the_program_words_with_stored_values_as_text():
    shown = line("{afm} {name}  service {service}", {"afm": "100000003", "name": "[/x] \u202eΑΕ"},
                 afm=Text("100000003", "bold"), service=None)
    assert shown.plain == "100000003 [/x] \\u202eΑΕ  service "
    assert [(span.start, span.end, span.style) for span in shown.spans] == [(0, 9, "bold")]
    assert rendered(shown) == "100000003 [/x] \\u202eΑΕ  service \n"


def test_line_keeps_the_template_braces_and_words():
    assert line("{{literal}} [bold]{x}[/bold]", x="[/x]").plain == "{literal} [bold][/x][/bold]"


def test_table_title_and_cells_are_text(monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "el")
    out = rendered(table("Audit of [/x]", [{"reference": "TX-[/x]\x1b", "amount": Decimal("1.00")}],
                         ["reference", "amount"]))
    assert out.splitlines() == [
        "        Audit of [/x]        ",
        "┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━┓",
        "┃ κωδικός πληρωμής ┃   ποσό ┃",
        "┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━┩",
        "│ TX-[/x]\\x1b      │ 1,00\xa0€ │",
        "└──────────────────┴────────┘",
    ]


def test_a_column_without_a_label_fails_loudly():
    with pytest.raises(KeyError):
        table("T", [{"new_column": 1}], ["new_column"])
