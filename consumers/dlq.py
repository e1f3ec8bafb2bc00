"""Dead-letter records (interfaces §2.4).

A dead letter keeps the ORIGINAL key and value bytes untouched, so an operator can replay
exactly what the producer sent. Why it failed and where it came from travel in Kafka
headers (values UTF-8):

==========================  ==============================================================
header                      value
==========================  ==============================================================
``dlq.error``               the error text (truncated to ``MAX_ERROR_BYTES``)
``dlq.error.type``          the exception class name, e.g. ``MessageFormatError``
``dlq.source.topic``        topic the message was read from
``dlq.source.partition``    its partition (decimal)
``dlq.source.offset``       its offset (decimal)
``dlq.failed_at``           when the consumer gave up, ISO 8601 UTC
==========================  ==============================================================

The original record's own headers are kept, before these. The key is kept too, so the
dead letter lands on the same partition number of ``<topic>.dlq`` as its debtor's other
messages (when both topics have the same partition count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from consumers.topics import dlq_topic

HEADER_ERROR = "dlq.error"
HEADER_ERROR_TYPE = "dlq.error.type"
HEADER_SOURCE_TOPIC = "dlq.source.topic"
HEADER_SOURCE_PARTITION = "dlq.source.partition"
HEADER_SOURCE_OFFSET = "dlq.source.offset"
HEADER_FAILED_AT = "dlq.failed_at"

DLQ_HEADER_NAMES = (
    HEADER_ERROR,
    HEADER_ERROR_TYPE,
    HEADER_SOURCE_TOPIC,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_OFFSET,
    HEADER_FAILED_AT,
)

# Brokers cap the whole record (default 1 MiB); a huge traceback must not make the
# dead letter itself unsendable.
MAX_ERROR_BYTES = 8 * 1024


class SourceRecord(Protocol):
    """What kafka-python's and aiokafka's ConsumerRecord both provide."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any


@dataclass(frozen=True)
class DeadLetter:
    """A record ready to send: ``producer.send(dl.topic, key=dl.key, value=dl.value, headers=dl.headers)``."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return dead_letter_info(self.headers).get(name)


def build_dead_letter(
    *,
    source_topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    error: BaseException | str,
    original_headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None = None,
    failed_at: datetime | None = None,
) -> DeadLetter:
    """Build the dead letter of one source record; ``value`` is passed through byte for byte."""
    if isinstance(error, BaseException):
        error_type = type(error).__name__
        error_text = str(error) or error_type
    else:
        error_type = "Error"
        error_text = error
    failed_at = failed_at or datetime.now(timezone.utc)
    headers = _normalise_headers(original_headers)
    headers += [
        (HEADER_ERROR, _truncate_utf8(error_text, MAX_ERROR_BYTES)),
        (HEADER_ERROR_TYPE, error_type.encode()),
        (HEADER_SOURCE_TOPIC, source_topic.encode()),
        (HEADER_SOURCE_PARTITION, str(partition).encode()),
        (HEADER_SOURCE_OFFSET, str(offset).encode()),
        (HEADER_FAILED_AT, failed_at.isoformat().encode()),
    ]
    return DeadLetter(topic=dlq_topic(source_topic), key=key, value=value, headers=headers)


def dead_letter_from_record(record: SourceRecord, error: BaseException | str) -> DeadLetter:
    """Dead letter of a kafka-python or aiokafka ``ConsumerRecord``."""
    return build_dead_letter(
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        error=error,
        original_headers=getattr(record, "headers", None),
    )


def dead_letter_info(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """The ``dlq.*`` headers of a dead letter, decoded (last one wins if repeated)."""
    return {
        name: (raw or b"").decode("utf-8", errors="replace")
        for name, raw in headers
        if name in DLQ_HEADER_NAMES
    }


def _normalise_headers(
    headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None,
) -> list[tuple[str, bytes]]:
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    # A re-dead-lettered record must not carry two conflicting sets of dlq.* headers.
    return [
        (name, value if isinstance(value, bytes) else (value or "").encode())
        for name, value in pairs
        if name not in DLQ_HEADER_NAMES
    ]


def _truncate_utf8(text: str, limit: int) -> bytes:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return encoded
    marker = " …[truncated]".encode("utf-8")
    # errors="ignore" drops a multi-byte character cut in half at the limit.
    return encoded[: limit - len(marker)].decode("utf-8", errors="ignore").encode() + marker
