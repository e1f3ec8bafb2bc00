"""Strict checks of the values the outside world sends (issue 12): commands, file
lines and Kafka messages go through the same ones, so a value refused in one is
refused in all. Each check raises ``BadInput(field, reason)``; the limits are
``config/limits.toml`` (``Settings.limits``).

Form and plausibility are separate checks on purpose: a payment whose amount or
value date is well formed but implausible is kept in suspense (P5), where the
same value anywhere else is refused.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aggregates.money import CENT
from ledger.errors import BadInput
from ledger.settings import Limits, load_settings

# Characters no stored text may hold: the C0 and C1 controls (NUL among them, which
# PostgreSQL text refuses), the line and paragraph separators, the bidirectional
# marks, embeddings, overrides and isolates (they reorder what an operator reads),
# and lone surrogates (not encodable in UTF-8).
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_AMOUNT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # ASCII digits only: no 1e2, 1_000, ٣ or ３
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fromisoformat alone takes 20210101 and 2021W011
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_SHOWN = 40  # characters of a refused value quoted back in the error line


def default_limits() -> Limits:
    return load_settings().limits


def text(value: Any, field: str, kind: str, limits: Limits | None = None) -> str:
    """Required text of ``kind`` (a key of ``[text]`` in limits.toml), NFC-normalised."""
    checked = optional_text(value, field, kind, limits)
    if checked is None or not checked.strip():
        raise BadInput(field, "required and not blank")
    return checked


def optional_text(value: Any, field: str, kind: str, limits: Limits | None = None) -> str | None:
    """``text`` that may be absent or blank (kept as given then: an empty payment
    reference is a fact for suspense, P5)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(field, f"must be text, got {type(value).__name__}")
    if not value.strip(" "):  # blank: spaces only (str.strip would also take \t, \x1c, \u2028: controls)
        return value
    # Fast path, on every payment (the message model and the handler both check it):
    # printable ASCII, as tx ids, references and codes are, is its own NFC form and
    # holds nothing ``_shown_as_written`` refuses, which the test holds it to.
    plain = value.isascii() and value.isprintable()
    normal = value if plain else unicodedata.normalize("NFC", value)
    longest = (limits or default_limits()).length(kind)
    if len(normal) > longest:
        raise BadInput(field, f"is {len(normal)} characters long, at most {longest}")
    return normal if plain else _shown_as_written(normal, field)


def _shown_as_written(normal: str, field: str) -> str:
    """``normal`` (NFC text), refused if it holds a control character or a
    bidirectional mark, or no visible character: what an operator would not see."""
    refused = _REFUSED.search(normal)
    if refused:
        character = refused.group()
        what = "a bidirectional mark" if character in _BIDI else "a control character"
        raise BadInput(field, f"contains {what} (U+{ord(character):04X})")
    if not any(_visible(character) for character in normal):
        raise BadInput(field, "has no visible character (only zero-width ones)")
    return normal


def _visible(character: str) -> bool:
    return not character.isspace() and unicodedata.category(character) != "Cf"


def escaped(raw: str) -> str:
    """``raw`` with every character ``text`` refuses written as its escape (``\\x00``,
    ``\\u202e``): for text kept as received, such as an unreadable message's bytes."""
    return _REFUSED.sub(lambda found: _escape(found.group()), raw)


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def well_formed_amount(value: Any, field: str, limits: Limits | None = None) -> Decimal:
    """A decimal amount in EUR written in ASCII digits, at most 2 decimals (M1) and
    ``max_integer_digits`` before the point; not bounded (see ``amount``)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadInput(field, f"{_shown(value)} is not a decimal number")
        parsed = value
    elif isinstance(value, int) and not isinstance(value, bool):
        parsed = Decimal(value)
    elif isinstance(value, str):
        written = value.strip()
        if not _AMOUNT.fullmatch(written):
            raise BadInput(field, f"{_shown(value)} is not a decimal number")
        parsed = Decimal(written)
    else:
        raise BadInput(field, f"must be a decimal string, got {type(value).__name__}")
    digits = (limits or default_limits()).max_integer_digits
    if parsed.adjusted() >= digits:
        raise BadInput(field, f"{_shown(value)} has more than {digits} digits before the decimal point")
    if parsed != parsed.quantize(CENT):
        raise BadInput(field, f"{_shown(value)} has more than 2 decimals")
    return parsed


def amount(value: Any, field: str, limits: Limits | None = None) -> Decimal:
    """``well_formed_amount`` at most the configured maximum."""
    limits = limits or default_limits()
    parsed = well_formed_amount(value, field, limits)
    if parsed > limits.max_amount:
        raise BadInput(field, f"{parsed} is more than the limit of {limits.max_amount} EUR")
    return parsed


def iso_date(value: Any, field: str) -> date:
    """A date written ``YYYY-MM-DD`` in ASCII digits; not bounded (see ``plausible_date``)."""
    if isinstance(value, datetime):
        raise BadInput(field, "must be a date, not a date and time")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise BadInput(field, f"must be an ISO date string YYYY-MM-DD, got {type(value).__name__}")
    if not _ISO_DATE.fullmatch(value):
        raise BadInput(field, f"{_shown(value)} is not an ISO date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadInput(field, f"{_shown(value)} is not a valid date ({error})") from None


def plausible_date(value: Any, field: str, limits: Limits | None = None) -> date:
    """``iso_date`` inside the configured plausible dates."""
    limits = limits or default_limits()
    day = iso_date(value, field)
    if not limits.earliest_date <= day <= limits.latest_date:
        raise BadInput(field, f"{day} is outside the plausible dates {limits.earliest_date} to {limits.latest_date}")
    return day


def period(value: Any, field: str, limits: Limits | None = None) -> str:
    """A month ``YYYY-MM`` (D2) in ASCII digits, inside the plausible dates."""
    limits = limits or default_limits()
    if not isinstance(value, str) or not _PERIOD.fullmatch(value):
        raise BadInput(field, f"{_shown(value)} is not a period YYYY-MM")
    first, last = f"{limits.earliest_date:%Y-%m}", f"{limits.latest_date:%Y-%m}"
    if not first <= value <= last:
        raise BadInput(field, f"{value} is outside the plausible periods {first} to {last}")
    return value


def _shown(value: Any) -> str:
    """``repr`` (which escapes controls and bidi marks) of at most ``_SHOWN`` characters."""
    if isinstance(value, str) and len(value) > _SHOWN:
        return repr(value[:_SHOWN]) + "…"
    return repr(value) if isinstance(value, str) else str(value)
