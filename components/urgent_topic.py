"""Rasa component: a seller reporting an urgent incident gets intent report_urgent_issue.

The topics and the incident-versus-question rules are data (data/support/urgency.yml, read by
support/urgency.py), so "我的账户被封了怎么办" hands off to a person whatever the classifier guessed, while
"代运营会导致账户被封吗" stays an FAQ. Runs after the FallbackClassifier so that a keyword match
also overrides nlu_fallback; the previous ranking is kept below the new intent.
"""
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from support.urgency import mentioned_topics, urgent_topic

URGENT_INTENT = "report_urgent_issue"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class UrgentTopicClassifier(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get("name") != URGENT_INTENT]
            if urgent_topic(text):
                intent = {"name": URGENT_INTENT, "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)
            elif ((message.get(INTENT) or {}).get("name") == URGENT_INTENT
                  and mentioned_topics(text)):
                # The classifier said urgent, but the rules read the named risk as a question about it
                # ("代运营会导致账户被封吗"): the next intent answers it, its confidence renormalised
                # over the rest (else it is near 0 and every later confidence check reads noise)
                total = sum(r.get("confidence") or 0.0 for r in ranking)
                if total > 0:
                    ranking = [{**r, "confidence": (r.get("confidence") or 0.0) / total}
                               for r in ranking]
                if ranking:
                    message.set(INTENT, ranking[0], add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
