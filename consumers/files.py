"""Files of messages, one JSON message a line (JSON Lines, interfaces §2.1, §2.2):
a bank's payments, a fund's transfers, read by ``ledger … import``."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from consumers.messages import KafkaMessageModel, MessageFormatError

M = TypeVar("M", bound=KafkaMessageModel)

# Windows tools (Notepad, Excel's "CSV UTF-8") start a UTF-8 file with one; it is
# not part of the first message.
UTF8_BOM = b"\xef\xbb\xbf"


def read_lines(path: Path, message_type: type[M]) -> list[tuple[int, bytes, M]]:
    """Each non-blank line of ``path``: its number, its bytes (without the line's
    surrounding blanks) and the message it holds. Checked whole: a malformed line
    raises :class:`MessageFormatError` named ``"line N"``, so nothing of the
    file is used."""
    lines = []
    for number, line in enumerate(path.read_bytes().removeprefix(UTF8_BOM).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            message = message_type.from_bytes(line)
        except MessageFormatError as error:
            raise MessageFormatError(f"line {number}", error.problems) from None
        lines.append((number, line.strip(), message))
    return lines
