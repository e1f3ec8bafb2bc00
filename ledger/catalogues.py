"""Keeping the translation catalogues with Babel: ``python -m ledger.catalogues update``
extracts every marked message of the code into ``ledger/locale/ledger.pot`` and
merges it into each language's ``ledger.po``; after translating, ``… compile``
writes the ``ledger.mo`` files the program reads; ``… check`` lists what is
missing, untranslated or stale (the tests run the same check).

Extraction reads the four packages with Babel's keywords plus ``NP_`` (a message
with its context). Files are written without source locations and sorted, so a
moved line changes no catalogue.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ledger.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("aggregates", "ledger", "projections", "consumers")
KEYWORDS = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2)}
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")  # English is the source


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def extract() -> Catalog:
    """Every message the code marks, as a fresh template."""
    template = Catalog(project="keao-ledger", domain=DOMAIN, fuzzy=False)
    for package in PACKAGES:
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / package, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            template.add(message, locations=[(f"{package}/{filename}", lineno)], auto_comments=comments,
                         context=context)
    return template


def read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=lang, domain=DOMAIN)


def write(path: Path, catalog: Catalog) -> None:
    out = io.BytesIO()
    write_po(out, catalog, no_location=True, sort_output=True, ignore_obsolete=True, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def compiled(lang: str) -> bytes:
    """The ``.mo`` the language's ``.po`` compiles to now."""
    out = io.BytesIO()
    write_mo(out, read(po_path(lang), lang))
    return out.getvalue()


def update() -> None:
    template = extract()
    write(TEMPLATE, template)
    for lang in TRANSLATED:
        catalog = read(po_path(lang), lang) if po_path(lang).exists() else Catalog(locale=lang, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        write(po_path(lang), catalog)


def compile_all() -> None:
    for lang in TRANSLATED:
        mo_path(lang).write_bytes(compiled(lang))


def keys(catalog: Catalog) -> set[tuple[str, str | None]]:
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalog if m.id}


def problems() -> Iterator[str]:
    """What stands between the code and complete, compiled catalogues."""
    marked = keys(extract())
    if keys(read(TEMPLATE)) != marked:
        yield f"{TEMPLATE.name} is stale: run `python -m ledger.catalogues update`"
    for lang in TRANSLATED:
        catalog = read(po_path(lang), lang)
        for message, context in sorted(marked - keys(catalog), key=str):
            yield f"{lang}: missing {message!r}" + (f" ({context})" if context else "")
        for m in catalog:
            if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,))):
                yield f"{lang}: untranslated {m.id!r}"
        if not mo_path(lang).exists() or mo_path(lang).read_bytes() != compiled(lang):
            yield f"{mo_path(lang).name} of {lang} is not the compiled .po: run `python -m ledger.catalogues compile`"


def main(command: str) -> None:
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = list(problems())
        print("\n".join(found) or "catalogues complete")
        raise SystemExit(1 if found else 0)
    else:
        raise SystemExit("usage: python -m ledger.catalogues update|compile|check")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
