"""Read models of the ledger: rebuildable projections of the event log.

Design
------
* **Tables** (SQLAlchemy Core) live in the ledger's own database: the same URL,
  and on PostgreSQL the same ``?schema=``. One module per read model:
  ``debt_table`` (debtors, units, items, payments per item, arrangements
  joined, the business date), ``arrangements`` (a summary row holding the
  arrangement's recorded state, and its instalment schedule rows),
  ``suspense`` (every bank payment's outcome and conflicting duplicates),
  ``audit`` (one row per event: position, type, aggregate, version, business
  date, recorded time, payload) and ``directory`` (each debtor's search key,
  service, funds and last change, with the figures of the operators' lists as
  of the business date, which ``projections.figures`` refreshes). Clearance has
  no table: it is answered from the debt-table and arrangement rows.
* **Date-dependent figures are computed at query time.** Surcharges, arrears
  and "overdue" move with the date; the tables keep their inputs (principal,
  due date, payments, the arrangement's recorded facts) and
  ``projections.reader.ProjectionReader`` hands them to the very functions of
  ``ledger.views`` (which use ``Debtor.balance``, ``SurchargeRules`` and the
  arrangement timeline), so a projected answer equals the replayed one by
  construction, for a few indexed reads of one debtor instead of a replay.
* **Runner** (``projections.runner.Runner``): reads the notification log in
  order from the lowest tracked position, in batches (5,000 by default),
  and applies the batch to every projection's tables and moves each
  projection's tracking position in ONE transaction. An event is decoded
  only if a projection needs it, and then once (``base.Decoded``, with a
  flat dispatch of the ledger's transcodings); the audit index decodes none
  (it copies the stored JSON and reads the recorded time and business date
  from its head), the debt table none of the debtor's events it writes no row
  of, and the notices index writes a notice issued in a batch (and not touched
  again in it) from its event's JSON undecoded, opening only its sealed name
  (``notices.RAW_ISSUED``, tested against the plain decode-mutate-encode).
  Projections that keep an aggregate's state apply a batch's
  events to it in memory and write each touched row ONCE per batch; up to
  ``Projection.CACHE`` aggregates are kept decoded between committed batches
  (valid only for the slot and position they were left at), so memory stays
  flat. Rows go in with ``COPY`` on PostgreSQL (binary where the handler
  vouches for its values' types: the audit and arrangement rows). The
  tracking row is claimed first with a compare-and-set on the position read,
  so concurrent runners, or a runner killed at any point, never apply an event
  twice or skip one. It works on SQLite and PostgreSQL (the library's
  subscription runner needs PostgreSQL); ``ledger projections run --follow``
  polls. Gaps: on PostgreSQL the ``eventsourcing.postgres`` recorder takes
  ``LOCK TABLE ... IN EXCLUSIVE MODE`` before inserting events
  (``PostgresApplicationRecorder._lock_table``), so ids are committed in id
  order; a gap (a rolled-back insert's sequence values) is never filled later,
  and reading ``id > position`` never passes over an event that commits
  afterwards. SQLite has a single writer.
* **Versions and blue/green slots**: each projection has a code ``version``;
  its tables are named ``p_<name>_v<version><slot>_<table>`` with slot ``a`` or
  ``b``. ``projection_state`` records the active version/slot and the one being
  rebuilt; ``projection_tracking`` holds a position per (name, version, slot).
  ``rebuild`` builds into the other slot from zero while the active one keeps
  answering, resumes from its own position when interrupted, and switches in
  one transaction when it reaches the head. On PostgreSQL the projections
  are split between forked worker processes (one per CPU, by each
  projection's ``cost``: the arrangements in one, the rest in the other on
  two cores), each with its own pass over the log (the events of the other
  workers' projections are not sent), its own positions and switch; the
  workers die with the process that started them. A rebuilding slot is
  created without its secondary indexes (built once, sorted, at the switch)
  and its batches commit without waiting for the WAL flush
  (``synchronous_commit = off``: a server crash loses rows and positions
  together, and the rebuild resumes). Long texts (the kept states) are
  compressed with lz4 where PostgreSQL has it. Changing a table's shape
  means bumping ``version``: the runner then rebuilds the new version beside
  the old one before it answers. The previous slot is kept (for a rollback) until the
  next rebuild of that projection drops it.
* **Queries**: ``show`` without ``--as-of`` catches the runner up
  synchronously (there is no daemon on SQLite) and reads one snapshot (on
  PostgreSQL, a REPEATABLE READ transaction); ``--as-of`` still replays the
  events through ``ledger.views`` (V3).
"""
