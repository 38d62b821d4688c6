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
  `save` here counts the stored rows once, stores the new events in one statement, then
  streams exactly those, each serialised once.
- Loads and saves run Rasa's queries, prebuilt (`_build_statements`).
"""
import itertools
import json
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from support.db import sqlite_pragmas, wait_for_database

# how long a write waits for another connection's lock: short, it is on the message path
SQLITE_BUSY_TIMEOUT_S = 5


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
                                           connect_args={"check_same_thread": False,
                                                         "timeout": SQLITE_BUSY_TIMEOUT_S})
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        else:
            self.engine = sa.create_engine(engine_url, pool_pre_ping=True,
                                           **create_engine_kwargs(engine_url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._build_statements()

    def _build_statements(self) -> None:
        """Rasa's event queries, built once with the sender as a parameter: Rasa builds an ORM
        query per call, and SQLAlchemy then computes its cache key and an ORM object per row
        (together most of a load or save, profiled under 16 concurrent conversations)."""
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender,
                   events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # as Rasa's `_event_query`: the events since the latest session start, or all
        since_session_start = sa.and_(
            events.c.sender_id == sender,
            sa.or_(session_start.is_(None), events.c.timestamp >= session_start),
        )
        self._count_since_session_start = (
            sa.select(sa.func.count()).select_from(events).where(since_session_start))
        self._data_since_session_start = (
            sa.select(events.c.data).where(since_session_start).order_by(events.c.id))
        self._data_of_all_sessions = (
            sa.select(events.c.data).where(events.c.sender_id == sender)
            .order_by(events.c.id))
        self._insert_events = events.insert()

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        statement = (self._data_of_all_sessions if fetch_events_from_all_sessions
                     else self._data_since_session_start)
        with self.session_scope() as session:
            rows = session.execute(statement, {"sender_id": sender_id}).all()
        events = [json.loads(data) for (data,) in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            stored = session.execute(self._count_since_session_start,
                                     {"sender_id": sender_id}).scalar()
            new_events = list(itertools.islice(tracker.events, stored, None))
            serialised = [event.as_dict() for event in new_events]
            if new_events:
                session.execute(self._insert_events, [
                    {"sender_id": sender_id,
                     "type_name": event.type_name,
                     "timestamp": data.get("timestamp"),
                     "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                     "action_name": data.get("name"),
                     "data": json.dumps(data)}
                    for event, data in zip(new_events, serialised)
                ])
                session.commit()
        if self.event_broker is not None:  # after the commit: only what is stored
            for data in serialised:
                self.event_broker.publish({"sender_id": sender_id, **data})
