"""The DIET + logistic-regression ensemble: the mean itself, and the component trained,
stored, loaded and run through Rasa's own featurizer and model storage."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.intent_ensemble import DietLogisticEnsemble, combine_rankings


def test_mean_is_weighted_and_sorted():
    diet = [{"name": "ask_cost", "confidence": 0.6}, {"name": "ask_risk", "confidence": 0.4}]
    linear = {"ask_cost": 0.1, "ask_risk": 0.7, "greet": 0.2}
    ranking = combine_rankings(diet, linear, diet_weight=0.5)
    assert [r["name"] for r in ranking] == ["ask_risk", "ask_cost", "greet"]
    assert ranking[0]["confidence"] == pytest.approx(0.55)
    assert ranking[1]["confidence"] == pytest.approx(0.35)
    assert ranking[2]["confidence"] == pytest.approx(0.1)


def test_intent_missing_from_one_ranking_counts_as_zero():
    ranking = combine_rankings([{"name": "greet", "confidence": 1.0}], {"thank": 1.0}, 0.7)
    assert [(r["name"], round(r["confidence"], 2)) for r in ranking] == [
        ("greet", 0.7),
        ("thank", 0.3),
    ]


TRAINING = {
    "ask_cost": ["fee per month", "how much fee", "monthly fee please", "what fee"],
    "ask_risk": ["any risk", "is it risky", "risk of suspension", "what risk"],
    "greet": ["hello", "hi there", "good morning", "hello bot"],
}


def _featurized(texts, tokenizer, featurizer):
    messages = [Message(data={"text": t}) for t in texts]
    tokenizer.process(messages)
    featurizer.process(messages)
    return messages


def _train(tmp_path, training):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    examples = [
        Message(data={"text": text, "intent": intent})
        for intent, texts in training.items()
        for text in texts
    ]
    data = TrainingData(examples)
    tokenizer.process_training_data(data)
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context
    )
    featurizer.train(data)
    featurizer.process_training_data(data)
    config = {**DietLogisticEnsemble.get_default_config(), "diet_weight": 0.7}
    resource = Resource("ensemble")
    DietLogisticEnsemble.create(config, storage, resource, context).train(data)
    loaded = DietLogisticEnsemble.load(config, storage, resource, context)
    return loaded, tokenizer, featurizer


@pytest.fixture
def trained(tmp_path):
    return _train(tmp_path, TRAINING)


@pytest.mark.parametrize("intents", [3, 2])
def test_fast_probabilities_equal_sklearns(tmp_path, intents):
    training = dict(list(TRAINING.items())[:intents])
    ensemble, tokenizer, featurizer = _train(tmp_path, training)
    messages = _featurized(["risk of fee", "hello", "unseen words only", ""], tokenizer, featurizer)
    expected = ensemble.clf.predict_proba(ensemble._create_X(messages))
    assert ensemble.linear_probabilities(messages) == pytest.approx(expected)


def test_trained_component_averages_diet_and_its_own_prediction(trained):
    ensemble, tokenizer, featurizer = trained
    (message,) = _featurized(["risk of fee"], tokenizer, featurizer)
    diet = [{"name": "ask_cost", "confidence": 0.9}, {"name": "ask_risk", "confidence": 0.1}]
    message.set("intent_ranking", diet)
    linear = dict(zip(ensemble.clf.classes_, ensemble.clf.predict_proba(ensemble._create_X([message]))[0]))

    ensemble.process([message])

    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    for name in TRAINING:
        expected = 0.7 * {"ask_cost": 0.9, "ask_risk": 0.1}.get(name, 0.0) + 0.3 * linear[name]
        assert ranking[name] == pytest.approx(expected)
    assert message.get("intent")["name"] == max(ranking, key=ranking.get)


def test_linear_model_alone_decides_clear_cases_without_diet(trained):
    ensemble, tokenizer, featurizer = trained
    messages = _featurized(["what is the monthly fee", "is there any risk"], tokenizer, featurizer)
    ensemble.process(messages)
    assert [m.get("intent")["name"] for m in messages] == ["ask_cost", "ask_risk"]
    assert ensemble.clf.C == DietLogisticEnsemble.get_default_config()["C"]
