"""Kafka topic names (interfaces §2) and idempotent topic creation."""

from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

BANK_PAYMENTS = "keao.bank-payments"
FUND_TRANSFERS = "keao.fund-transfers"
DECLARATIONS = "keao.apd"  # in (§2.5): employers' ΑΠΔ
LEDGER_EVENTS = "keao.ledger-events"
REFUNDS = "keao.refunds"  # out (§2.6): refund orders for the paying banks (O2, O5)
NOTICES = "keao.notices"  # out (§2.6): issued notices, for the print and e-mail services (N3)
CHECKPOINTS = "keao.checkpoints"  # out (§2.6): the signed checkpoints of the hash chain (F2)

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic`` (interfaces §2.4)."""
    return topic + DLQ_SUFFIX


BANK_PAYMENTS_DLQ = dlq_topic(BANK_PAYMENTS)
FUND_TRANSFERS_DLQ = dlq_topic(FUND_TRANSFERS)
DECLARATIONS_DLQ = dlq_topic(DECLARATIONS)
LEDGER_EVENTS_DLQ = dlq_topic(LEDGER_EVENTS)

INBOUND_TOPICS = (BANK_PAYMENTS, FUND_TRANSFERS, DECLARATIONS)
ALL_TOPICS = (
    BANK_PAYMENTS,
    FUND_TRANSFERS,
    DECLARATIONS,
    LEDGER_EVENTS,
    REFUNDS,
    NOTICES,
    CHECKPOINTS,
    BANK_PAYMENTS_DLQ,
    FUND_TRANSFERS_DLQ,
    DECLARATIONS_DLQ,
)

DEFAULT_PARTITIONS = 6

# Kafka error code for "topic already exists"; treated as success.
_TOPIC_ALREADY_EXISTS = TopicAlreadyExistsError.errno


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic for a reason other than "it exists"."""


def ensure_topics(
    bootstrap: str,
    partitions: int = DEFAULT_PARTITIONS,
    *,
    topics: Iterable[str] = ALL_TOPICS,
    replication_factor: int = 1,
    timeout_ms: int = 10_000,
) -> list[str]:
    """Create the topics that do not exist yet; return the names actually created.

    Idempotent: existing topics are left as they are (their partition count is not
    changed, because repartitioning would move debtors' keys to other partitions).
    """
    wanted = list(dict.fromkeys(topics))
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="keao-ledger-admin",
        request_timeout_ms=timeout_ms,
    )
    try:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        response = admin.create_topics(
            [NewTopic(name, partitions, replication_factor) for name in missing],
            timeout_ms=timeout_ms,
            raise_errors=False,
        )
        created, failures = _created_topics(response)
        if failures:
            raise TopicCreationError("; ".join(failures))
        return created
    finally:
        admin.close()


def _created_topics(response) -> tuple[list[str], list[str]]:
    # kafka-python returns either a response object or its dict form depending on version.
    results = response["topics"] if isinstance(response, dict) else [
        {"name": t.name, "error_code": t.error_code, "error_message": t.error_message}
        for t in response.topics
    ]
    created, failures = [], []
    for result in results:
        code = result["error_code"]
        if code == 0:
            created.append(result["name"])
        elif code != _TOPIC_ALREADY_EXISTS:  # lost a race with another creator: fine
            failures.append(
                f"{result['name']}: error {code} {result.get('error_message') or ''}".strip()
            )
    return created, failures
