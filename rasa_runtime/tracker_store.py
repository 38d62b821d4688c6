"""Rasa's SQL tracker store, configured by one database URL, streaming to the event broker
exactly the events it stores.

- `url:` (endpoints, written by `rasa_runtime/endpoints.py`) is a SQLAlchemy URL: SQLite by
  default, PostgreSQL when scaled out.
- A database that is down at start is waited for (`support.db.CONNECT_TIMEOUT_S`), then Rasa
  stops with a clear error. Rasa's store retries every 5 s for ever, which looks like a hang.
- Pooled PostgreSQL connections are pinged before use, so a database restart costs the
  conversations nothing but the requests made while it was down.
- SQLite runs in WAL mode with `synchronous=NORMAL` on a kept connection: a commit no longer
  waits for an fsync (6 ms of each message here), and a crash of Rasa still loses nothing
  committed.
- With an event broker, Rasa's `TrackerStore.stream_events` reloads and deserialises the whole
  session on every save to work out which events are new (about 10 ms per message here).
  `SQLTrackerStore` knows that from a row count (`_additional_events`, the call `save` uses).
"""
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from support.db import wait_for_database


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class BrokerStreamingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: Optional[Text] = None, **kwargs: Any) -> None:
        # Rasa passes the endpoint's `url:` as `host`, and its store takes a whole URL there
        if host and "://" in host:
            wait_for_database(host)
        super().__init__(domain=domain, host=host, **kwargs)
        engine_url = self.engine.url
        self.engine.dispose()
        if engine_url.get_backend_name() == "sqlite":
            # a kept connection: SQLAlchemy 1.4 opens a new one per session for SQLite files
            # (NullPool), which cost more than the queries. Rasa's store runs on its event
            # loop's thread only.
            self.engine = sa.create_engine(engine_url, poolclass=sa.pool.QueuePool,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(engine_url, pool_pre_ping=True,
                                           **create_engine_kwargs(engine_url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
