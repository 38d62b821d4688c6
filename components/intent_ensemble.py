"""Rasa component: DIET's intent distribution averaged with a logistic regression's.

Both read the same sparse features but err on different questions, so their weighted
mean is right more often than either: on three dev sets it beat DIET alone by 0.6–1.1
points. DIET's weights from 0.6 to 0.8 tied; 0.7 is the middle.

Rasa's LogisticRegressionClassifier overwrites the intent DIET set; this subclass reads
DIET's ranking first and writes the mean. It needs DIET's full ranking (`ranking_length: 0`).
"""
from typing import Any, Dict, List, Optional, Text

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.special import softmax

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


def combine_rankings(
    diet_ranking: List[Dict[str, Any]], linear: Dict[str, float], diet_weight: float
) -> List[Dict[str, Any]]:
    """Weighted mean of two intent distributions, best first."""
    diet = {entry["name"]: entry["confidence"] for entry in diet_ranking}
    names = set(diet) | set(linear)
    combined = [
        {
            "name": name,
            "confidence": diet_weight * diet.get(name, 0.0)
            + (1 - diet_weight) * linear.get(name, 0.0),
        }
        for name in names
    ]
    return sorted(combined, key=lambda entry: (-entry["confidence"], entry["name"]))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class DietLogisticEnsemble(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "diet_weight": 0.7,
            # Weaker regularisation than sklearn's C=1. 300 iterations stop short of
            # lbfgs's tolerance (sklearn warns) but predicted every message of five sets as
            # 3000 did, in half the training time; 100 lost a question on the dev set.
            "C": 10.0,
            "max_iter": 300,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=self.config["C"])
        self._coef_t: Optional[np.ndarray] = None

    def linear_probabilities(self, messages: List[Message]) -> np.ndarray:
        """The model's predict_proba (multinomial softmax), without the per-call input checks,
        feature copies and transposed-array product that took 5 ms of a 13 ms parse."""
        if self._coef_t is None:
            self._coef_t = np.ascontiguousarray(self.clf.coef_.T)
        rows = []
        for message in messages:
            # What _create_X builds (sentence features, sparse then dense, in pipeline order)
            # without Message.get_sparse_features, which deep-copies and also combines the
            # per-token features this model does not use.
            sentence = [
                f for f in message.features
                if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
            ]
            parts = [csr_matrix(f.features) for f in sentence if f.is_sparse()]
            parts += [csr_matrix(f.features) for f in sentence if f.is_dense()]
            rows.append(hstack(parts, format="csr") if parts else csr_matrix((1, len(self._coef_t))))
        scores = vstack(rows, format="csr") @ self._coef_t + self.clf.intercept_
        if scores.shape[1] == 1:  # two intents: sklearn's binary model scores the second only
            scores = np.hstack([np.zeros_like(scores), scores])
        return softmax(scores, axis=1)

    def process(self, messages: List[Message]) -> List[Message]:
        if not messages:
            return messages
        probabilities = self.linear_probabilities(messages)
        weight = self.config["diet_weight"]
        for message, row in zip(messages, probabilities):
            linear = dict(zip(self.clf.classes_, (float(p) for p in row)))
            ranking = combine_rankings(message.get(INTENT_RANKING_KEY) or [], linear, weight)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
