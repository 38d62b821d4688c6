"""Rasa event broker that feeds the support desk (endpoints, written by rasa_runtime/endpoints.py:
`event_broker: {type: support.event_broker.SupportEventBroker}`; optional `url:` overrides
DATABASE_URL).

Rasa publishes every tracker event here, including the seller's messages while a person holds
the conversation (Rasa logs them but does not answer). That is how the seller's messages after
a handoff reach the ticket, with the bot's replies to them while the ticket waits for staff.
It also records the analytics behind the staff dashboard: messages, fallbacks, answers per
knowledge area, recommendations per mode.

`publish` runs on Rasa's event loop, so it only queues; a worker thread writes what has
queued up, in one transaction. A failure is logged and dropped, never raised into Rasa: the
bot must keep answering when the desk is down.
"""
import logging
import queue
import threading
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from support import store
from support.db import database_url, session_scope

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
QUEUE_SIZE = 10_000
BATCH_SIZE = 200
CLOSE_TIMEOUT_S = 10

Fact = Tuple[str, Dict[str, Any]]  # (kind of write, its arguments)


def facts_from_event(event: Dict[str, Any]) -> List[Fact]:
    """What one Rasa event means for the desk (pure; tests call it directly)."""
    sender = event.get("sender_id")
    kind = event.get("event")
    if not sender:
        return []
    at = _utc(event.get("timestamp"))
    if kind == "user":
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        return [("user_message", dict(sender_id=sender, text=(event.get("text") or "").strip(),
                                      channel=event.get("input_channel"), at=at,
                                      fallback=intent == FALLBACK_INTENT))]
    if kind == "bot":
        custom = ((event.get("data") or {}).get("custom")) or {}
        if not isinstance(custom, dict):
            return []
        facts: List[Fact] = []
        # staff's replies and the handoff's own message are added to the ticket where sent
        if not (event.get("metadata") or {}).get("staff") and custom.get("type") != "handoff":
            facts.append(("bot_message", dict(sender_id=sender,
                                              text=(event.get("text") or "").strip(), at=at)))
        if custom.get("type") == "answer":
            area = custom.get("question_type") or custom.get("id")
            facts.append(("event", dict(sender_id=sender, kind="answer", detail=area,
                                        created_at=at)))
        if custom.get("type") == "recommendation":
            facts.append(("event", dict(sender_id=sender, kind="recommendation",
                                        detail=custom.get("mode"), created_at=at)))
        return facts
    return []


def write_fact(session, fact: Fact) -> None:
    kind, args = fact
    if kind == "event":
        store.record_event(session, **args)
        return
    sender, text, at = args["sender_id"], args["text"], args["at"]
    if kind == "bot_message" and not text:
        return  # a payload without text (buttons only) has nothing for the ticket
    ticket = store.open_ticket_for(session, sender)
    # held: sent after the handoff. The message that opened the ticket came before (it is in
    # the ticket's transcript already, and if it was a fallback, the bot's own).
    held = ticket is not None and (at is None or at >= ticket.created_at)
    if kind == "bot_message":
        if held:  # the bot answers only while the ticket waits; staff see it
            store.add_message(session, ticket.id, "bot", text)
        return
    store.record_event(session, sender_id=sender, kind="message", channel=args["channel"],
                       created_at=at)
    if held and text:
        store.add_message(session, ticket.id, "seller", text)
    elif args["fallback"] and text:
        store.record_event(session, sender_id=sender, kind="fallback", channel=args["channel"],
                           detail=text, created_at=at)


def _utc(timestamp: Any) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (TypeError, ValueError):
        return None


class SupportEventBroker(EventBroker):
    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or database_url()
        self._queue: "queue.Queue[Optional[Dict[str, Any]]]" = queue.Queue(QUEUE_SIZE)
        self._worker = threading.Thread(target=self._run, name="support-event-broker",
                                        daemon=True)
        self._worker.start()

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop=None) -> "SupportEventBroker":
        return cls(url=(broker_config.kwargs or {}).get("url") or broker_config.url)

    def publish(self, event: Dict[Text, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            logger.warning("support event queue full; dropping a %s event", event.get("event"))

    def is_ready(self) -> bool:
        return self._worker.is_alive()

    async def close(self) -> None:
        self._queue.put(None)
        self._worker.join(CLOSE_TIMEOUT_S)

    def flush(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Waits until every queued event is written (tests)."""
        done = threading.Event()
        self._queue.put({"__flush__": done})
        done.wait(timeout_s)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_SIZE:  # what queued up meanwhile, written together
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            pending: List[Dict[str, Any]] = []
            for event in batch:
                if event is None or "__flush__" in event:
                    self._write(pending)
                    pending = []
                    if event is None:
                        return
                    event["__flush__"].set()
                else:
                    pending.append(event)
            self._write(pending)

    def _write(self, events: List[Dict[str, Any]]) -> None:
        """One transaction for the batch (a commit per event cost more than the writes under
        load); if it fails, each event alone, so one bad event costs only itself."""
        with_facts = []
        for event in events:
            facts = self._facts(event)
            if facts:
                with_facts.append((event, facts))
        if not with_facts:
            return
        try:
            self._record([facts for _, facts in with_facts])
            return
        except Exception:
            if len(with_facts) > 1:
                logger.warning("support desk could not record %d events together; "
                               "recording them one by one", len(with_facts))
        for event, facts in with_facts:
            try:
                self._record([facts])
            except Exception:
                logger.exception("support desk could not record a %s event", event.get("event"))

    def _record(self, facts_of_events: List[List[Fact]]) -> None:
        with session_scope(self.url) as session:
            for facts in facts_of_events:
                for fact in facts:
                    write_fact(session, fact)

    @staticmethod
    def _facts(event: Dict[str, Any]) -> List[Fact]:
        try:
            return facts_from_event(event)
        except Exception:
            logger.exception("support desk could not read a %s event", event.get("event"))
            return []
