"""Kafka side of the ledger: message schemas, topic names, dead letters and consumers."""
