"""The language of human-readable output: Greek by default, English with
``LEDGER_LANG=en`` (interfaces §1.7), through gettext catalogues
(``ledger/locale/<lang>/LC_MESSAGES/ledger.po``, kept with Babel).

The program's words are written in English in the code and marked ``_()``
(translated when said) or ``N_()`` (only marked, for words translated later,
such as column labels kept in a table). ``--json`` is never translated.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "ledger"
LANGUAGES = ("el", "en")


def language() -> str:
    chosen = os.environ.get("LEDGER_LANG", "el").strip().lower()[:2]
    return chosen if chosen in LANGUAGES else "el"


def _catalogue() -> gettext.NullTranslations:
    # English is the source language: its catalogue exists to say so, and a missing one changes nothing.
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language()], fallback=True)


_translations = _catalogue()


def _(message: str) -> str:
    return _translations.gettext(message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it here."""
    return message
