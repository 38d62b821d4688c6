"""Rasa component: normalises message text before the tokenizer sees it."""
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.stateless import StatelessComponent
from components.text_normalization import normalize_text


# Registered as a tokenizer-type component so the recipe runs it on training data and
# on every incoming message, ahead of the real tokenizer.
@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class ChineseTextNormalizer(StatelessComponent):
    """Traditional → simplified (OpenCC), full-width → half-width, HTML stripped."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["opencc"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._normalize(messages)
        return messages

    @staticmethod
    def _normalize(messages: List[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, normalize_text(text))
