"""Rasa component: a near tie between thanks and goodbye is no ambiguity.

`谢谢，再见` scores about as high for thank as for goodbye, so the FallbackClassifier's near-tie
test turns it into nlu_fallback, and the seller got "please rephrase" (inside the questionnaire,
an unreadable answer) for closing the chat. Either reading gets a fitting reply, so the likelier
one is kept.
"""
from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent

CLOSINGS = {"thank", "goodbye"}
# Together the two closings must hold this much, so a tie among weak readings stays a fallback.
MIN_CLOSING_CONFIDENCE = 0.8


def closing_tie_ranking(ranking: List[Dict[str, Any]]) -> Optional[List[Dict[str, Any]]]:
    """The ranking without the fallback when the fallback came from a tie between the two
    closings, which together hold most of the confidence; None otherwise."""
    ranked = [r for r in ranking if r.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME]
    if len(ranked) == len(ranking) or len(ranked) < 2:
        return None
    first, second = ranked[0], ranked[1]
    if {first.get("name"), second.get("name")} != CLOSINGS:
        return None
    if first.get("confidence", 0.0) + second.get("confidence", 0.0) < MIN_CLOSING_CONFIDENCE:
        return None
    return ranked


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ClosingTieResolver(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            ranked = closing_tie_ranking(message.get(INTENT_RANKING_KEY) or [])
            if ranked:
                message.set(INTENT, ranked[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
        return messages
