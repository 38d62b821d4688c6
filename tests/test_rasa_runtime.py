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


DIET_TRAINING = {
    "ask_cost": ["fee per month", "how much fee", "monthly fee please", "what fee"],
    "ask_risk": ["any risk", "is it risky", "risk of suspension", "what risk"],
    "greet": ["hello", "hi there", "good morning", "hello bot"],
}


def test_diet_loaded_for_prediction_predicts_exactly_as_rasa_s_own_load(tmp_path, monkeypatch):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer)
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from rasa.utils.tensorflow.models import RasaModel

    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context)
    data = TrainingData([Message(data={"text": text, "intent": intent})
                         for intent, texts in DIET_TRAINING.items() for text in texts])
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    config = {**DIETClassifier.get_default_config(), "epochs": 3, "random_seed": 1,
              "number_of_transformer_layers": 1, "transformer_size": 32,
              "entity_recognition": False}
    DIETClassifier.create(config, storage, Resource("diet"), context).train(data)

    def load_and_predict(load):
        monkeypatch.setattr(RasaModel, "load", classmethod(load))
        diet = DIETClassifier.load(config, storage, Resource("diet"), context)
        messages = [Message(data={"text": text})
                    for text in ("risk of fee", "hello", "good fee", "unseen words")]
        tokenizer.process(messages)
        featurizer.process(messages)
        diet.process(messages)
        weights = {w.name: w.numpy() for w in diet.model.weights}
        optimizer = getattr(diet.model, "optimizer", None)
        optimizer_variables = len(optimizer.variables()) if optimizer else 0
        return [m.get("intent_ranking") for m in messages], weights, optimizer_variables

    rankings, weights, optimizer_variables = load_and_predict(patches._rasa_model_load)
    light_rankings, light_weights, light_optimizer_variables = load_and_predict(
        patches._load_for_prediction)

    assert light_rankings == rankings
    assert light_weights.keys() <= weights.keys() and light_weights
    for name, value in light_weights.items():
        assert (value == weights[name]).all(), name
    # the optimizer's slots: what Rasa's load creates and prediction never needs
    assert optimizer_variables > 0 and light_optimizer_variables == 0
