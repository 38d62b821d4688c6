"""rasa_runtime offline: the endpoints written from the environment, and each fix of
patches.py against Rasa's own behaviour."""
import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from rasa_runtime import patches
from rasa_runtime.endpoints import endpoints, tracker_store_url
from support.db import DatabaseUnavailable
from tests.conftest import ROOT, free_port

patches.install()
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def test_single_machine_endpoints_use_sqlite_and_in_memory_locks():
    config = endpoints({})
    assert config["tracker_store"]["url"] == "sqlite:///rasa_tracker.db"
    assert config["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert config["event_broker"]["type"] == "support.event_broker.SupportEventBroker"
    assert "lock_store" not in config


def test_scaled_endpoints_put_conversations_in_postgresql_and_locks_in_redis():
    config = endpoints({"DATABASE_URL": "postgresql://desk:pw@db:5432/faq",
                        "REDIS_URL": "redis://:secret@cache:6380/3", "ACTION_PORT": "6055"})
    assert config["tracker_store"]["url"] == "postgresql://desk:pw@db:5432/faq"
    assert config["lock_store"] == {"type": "rasa_runtime.lock_store.AtomicRedisLockStore",
                                    "url": "cache", "port": 6380, "db": 3,
                                    "password": "secret", "use_ssl": False, "key_prefix": "faq"}
    assert config["action_endpoint"]["url"] == "http://127.0.0.1:6055/webhook"


def test_a_sqlite_desk_database_does_not_move_the_conversations_and_explicit_wins():
    assert tracker_store_url({"DATABASE_URL": "sqlite:///desk.db"}) == "sqlite:///rasa_tracker.db"
    assert tracker_store_url({"DATABASE_URL": "postgresql://a/b",
                              "TRACKER_STORE_URL": "sqlite:///t.db"}) == "sqlite:///t.db"


def test_a_redis_url_of_another_scheme_is_refused():
    with pytest.raises(ValueError):
        endpoints({"REDIS_URL": "http://cache:6379"})


def test_action_responses_are_still_validated_by_the_cached_validator():
    action = RemoteAction("action_answer_question", None)
    valid = {"events": [{"event": "slot", "name": "mode", "value": "agency"}],
             "responses": [{"text": "hi"}]}
    assert action._validate_action_result(valid)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_event_types_resolve_to_the_same_classes_as_rasa_s_own_lookup():
    for cls in all_subclasses(Event):
        resolved = Event.resolve_by_type(cls.type_name)
        assert resolved.type_name == cls.type_name
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet


def test_an_action_server_that_is_down_gets_the_seller_an_apology():
    closed = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    action = RemoteAction("action_answer_question", closed)
    tracker = DialogueStateTracker.from_events("seller", [
        ActionExecuted("action_listen"), UserUttered("代运营怎么收费", {"name": "ask_cost"})])
    events = asyncio.run(action.run(CollectingOutputChannel(),
                                    TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                                    tracker, DOMAIN))
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert events[0].text == DOMAIN.responses["utter_service_unavailable"][0]["text"]


class BrokenStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id):
        raise ConnectionError("database is down")

    async def save(self, tracker):
        raise ConnectionError("database is down")


def test_a_conversation_store_error_surfaces_instead_of_an_empty_conversation_in_memory():
    store = Agent._create_tracker_store(BrokenStore(DOMAIN), DOMAIN)
    with pytest.raises(DatabaseUnavailable):
        asyncio.run(store.retrieve("seller"))
    with pytest.raises(DatabaseUnavailable):
        asyncio.run(store.save(DialogueStateTracker("seller", [])))
