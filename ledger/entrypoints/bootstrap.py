"""The composition root of the entrypoints: which store, the ledger on it and its
read models, built once per process and shared by every command of a run.

The domain (``aggregates``) and the use cases (``ledger.handlers``) know nothing
of this: they get the ``Ledger`` application and build their units of work;
the read models (``projections``) and the Kafka side (``consumers``) are wired
here and in the entrypoints only.
"""

from __future__ import annotations

from ledger.application import Ledger
from ledger.store.urls import db_url
from projections.runner import Runner


class Bootstrap:
    """The ``--db`` the command line names, and what runs on it."""

    def __init__(self) -> None:
        self.db: str | None = None
        self._ledger: Ledger | None = None
        self._runner: Runner | None = None

    def use(self, db: str | None) -> None:
        """Point every later command of this process at ``db`` (``--db``), closing what
        the earlier ones opened (a process running many commands, as the tests do,
        would otherwise keep every earlier ledger's connections)."""
        self.close()
        self.db = db

    def close(self) -> None:
        if self._runner is not None:
            self._runner.engine.dispose()
        if self._ledger is not None:
            self._ledger.close()
        self._ledger = None
        self._runner = None

    def url(self) -> str:
        """``--db``, else ``LEDGER_DB_URL``, else the embedded default; a URL of no
        known scheme is ``StoreUnavailable`` here, before anything is opened."""
        return db_url(self.db)

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.url())
        return self._ledger

    def runner(self) -> Runner:
        """The read models' runner on the same ledger."""
        if self._runner is None or self._runner.app is not self.ledger():
            self._runner = Runner(self.ledger(), self.url())
        return self._runner


services = Bootstrap()
