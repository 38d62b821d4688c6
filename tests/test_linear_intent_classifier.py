"""The SVM intent classifier: the margins' softmax, and the component trained, stored, loaded
and run through Rasa's own featurizer and model storage."""
import numpy as np
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

from components.linear_intent_classifier import LinearSvmIntentClassifier, ranking_from_margins


def test_ranking_is_the_margins_softmax_best_first():
    ranking = ranking_from_margins(["a", "b", "c"], np.array([0.1, 0.4, -1.0]), temperature=0.5)
    assert [r["name"] for r in ranking] == ["b", "a", "c"]
    expected = np.exp([0.8, 0.2, -2.0]) / np.exp([0.8, 0.2, -2.0]).sum()
    assert [r["confidence"] for r in ranking] == pytest.approx(list(expected))


def test_lower_temperature_makes_the_winner_surer():
    margins = np.array([0.3, 0.1])
    sure = ranking_from_margins(["a", "b"], margins, 0.05)[0]["confidence"]
    unsure = ranking_from_margins(["a", "b"], margins, 1.0)[0]["confidence"]
    assert 0.5 < unsure < sure < 1.0


def test_equal_margins_rank_by_name():
    ranking = ranking_from_margins(["thank", "greet"], np.array([0.2, 0.2]), 0.15)
    assert [r["name"] for r in ranking] == ["greet", "thank"]
    assert ranking[0]["confidence"] == pytest.approx(0.5)


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


def _train(tmp_path, training, config=None):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    data = TrainingData([
        Message(data={"text": text, "intent": intent})
        for intent, texts in training.items()
        for text in texts
    ])
    tokenizer.process_training_data(data)
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context
    )
    featurizer.train(data)
    featurizer.process_training_data(data)
    config = {**LinearSvmIntentClassifier.get_default_config(), **(config or {})}
    resource = Resource("intent_svm")
    trained = LinearSvmIntentClassifier.create(config, storage, resource, context)
    trained.train(data)
    loaded = LinearSvmIntentClassifier.load(config, storage, resource, context)
    return trained, loaded, tokenizer, featurizer


@pytest.mark.parametrize("intents", [3, 2])
def test_stored_model_predicts_as_the_trained_one(tmp_path, intents):
    trained, loaded, tokenizer, featurizer = _train(tmp_path, dict(list(TRAINING.items())[:intents]))
    texts = ["risk of fee", "hello", "unseen words only", ""]
    assert loaded.margins(_featurized(texts, tokenizer, featurizer)) == pytest.approx(
        trained.margins(_featurized(texts, tokenizer, featurizer)))
    assert loaded.margins(_featurized(texts, tokenizer, featurizer)).shape == (4, intents)


def test_clear_questions_get_their_intent_and_a_full_ranking(tmp_path):
    _, classifier, tokenizer, featurizer = _train(tmp_path, TRAINING)
    messages = _featurized(["what is the monthly fee", "is there any risk", "hello there"],
                           tokenizer, featurizer)
    classifier.process(messages)
    assert [m.get("intent")["name"] for m in messages] == ["ask_cost", "ask_risk", "greet"]
    for message in messages:
        ranking = message.get("intent_ranking")
        assert {r["name"] for r in ranking} == set(TRAINING)
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
        assert ranking[0] == message.get("intent")


def test_ranking_length_cuts_the_ranking_not_the_intent(tmp_path):
    _, classifier, tokenizer, featurizer = _train(tmp_path, TRAINING, {"ranking_length": 1})
    (message,) = _featurized(["is there any risk"], tokenizer, featurizer)
    classifier.process([message])
    assert [r["name"] for r in message.get("intent_ranking")] == ["ask_risk"]


def test_without_intent_examples_nothing_is_trained_or_predicted(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = LinearSvmIntentClassifier.get_default_config()
    LinearSvmIntentClassifier.create(config, storage, Resource("empty"), context).train(TrainingData([]))
    loaded = LinearSvmIntentClassifier.load(config, storage, Resource("empty"), context)
    message = Message(data={"text": "hello"})
    loaded.process([message])
    assert message.get("intent") is None
