"""The language of human-readable output: Greek by default, English with
``LEDGER_LANG=en`` (interfaces §1.7), through gettext catalogues
(``ledger/locale/<lang>/LC_MESSAGES/ledger.po``, kept with Babel by
``python -m ledger.catalogues``).

The program's words are written in English in the code and marked ``_()``
(translated when said), ``N_()`` (only marked, for words translated later,
such as column labels kept in a table) or ``NP_()`` (marked with a context, for
an English word that reads two ways in Greek). English is the source language:
it has no catalogue. ``--json`` is never translated. Amounts are written as the
reader writes them: ``1.234,56 €`` in Greek, ``€1,234.56`` in English.
"""

from __future__ import annotations

import gettext
import os
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.numbers import format_currency, format_decimal

from aggregates.wording import N_

__all__ = ["LANGUAGES", "N_", "NP_", "_", "language", "money", "ngettext", "number", "pgettext"]

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "ledger"
LANGUAGES = ("el", "en")
LOCALES = {"el": "el_GR", "en": "en_GB"}


def language() -> str:
    chosen = os.environ.get("LEDGER_LANG", "el").strip().lower()[:2]
    return chosen if chosen in LANGUAGES else "el"


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    return _catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue(language()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return _catalogue(language()).pgettext(context, message)


def NP_(context: str, message: str) -> tuple[str, str]:
    """Marks ``message`` in ``context`` for the catalogue; ``pgettext(*NP_(…))`` says it."""
    return context, message


def money(amount: Decimal) -> str:
    return format_currency(amount, "EUR", locale=LOCALES[language()])


def number(amount: Decimal) -> str:
    """An amount inside a sentence whose words name the currency."""
    return format_decimal(amount, format="#,##0.00", locale=LOCALES[language()])
