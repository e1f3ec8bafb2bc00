"""The pure domain model of the KEAO arrangement ledger.

No I/O and no framework beyond ``eventsourcing``: every input (dates, rates,
scheme parameters) is passed in, so that what an aggregate records can be
replayed and audited.
"""
