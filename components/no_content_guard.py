"""Rasa component: a message with nothing to classify goes to nlu_fallback.

Empty, whitespace, emoji-only or punctuation-only text has no tokens, so the classifier's
guess would be noise; the fallback action then answers it with a clear prompt.
"""
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from components.text_normalization import has_meaningful_text


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class NoContentGuard(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not has_meaningful_text(message.get(TEXT)):
                intent = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
                message.set(ENTITIES, [], add_to_output=True)
        return messages
