"""Rasa actions that answer from the knowledge base."""
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_messages import (
    COMPARE,
    NO_CONTENT_MESSAGE,
    answer_message,
    clarification_message,
    comparison_message,
    disambiguation_message,
)
from actions.handoff import ACTION_NAME as HANDOFF_ACTION, is_repeated_fallback
from actions.knowledge import ALL_MODES, knowledge_base
from components.text_normalization import has_meaningful_text

DEFAULT_QUESTION_TYPE = "ask_what_is"
MAX_CANDIDATES = 3
MIN_CANDIDATE_CONFIDENCE = 0.05
NOT_CANDIDATES = {"nlu_fallback", "out_of_scope", "greet", "thank", "goodbye", "deny"}


def mentioned_modes(latest_message: Dict[Text, Any]) -> List[str]:
    """Modes named in the message, in order, `all` expanded to the three modes."""
    kb = knowledge_base()
    modes: List[str] = []
    for value in entity_values(latest_message, "mode"):
        values = list(kb.modes) if value == ALL_MODES else [value]
        modes += [v for v in values if v in kb.modes and v not in modes]
    return modes


def entity_values(latest_message: Dict[Text, Any], entity: str) -> List[str]:
    return [
        e.get("value") for e in latest_message.get("entities") or [] if e.get("entity") == entity
    ]


def send(dispatcher: CollectingDispatcher, message: dict) -> None:
    dispatcher.utter_message(
        text=message["text"],
        buttons=message.get("buttons") or [],
        json_message=message.get("custom"),
    )


class ActionAnswerQuestion(Action):
    """Answers the question type for the named mode(s); asks which mode when none is named;
    a bare mode (`那联合运营呢？`) answers the last question type for that mode."""

    def name(self) -> Text:
        return "action_answer_question"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kb = knowledge_base()
        latest = tracker.latest_message
        intent = (latest.get("intent") or {}).get("name")
        question_type = (
            intent
            if intent in kb.question_types
            else tracker.get_slot("question_type") or DEFAULT_QUESTION_TYPE
        )
        modes = mentioned_modes(latest)

        if question_type == COMPARE:
            modes = modes if len(modes) >= 2 else list(kb.modes)
            aspect_types = [kb.aspect_question_type(a) for a in entity_values(latest, "aspect")]
            aspect_types = [a for a in aspect_types if a]
            if not aspect_types:
                send(dispatcher, comparison_message(kb, modes))
                return [SlotSet("question_type", COMPARE)]
            # `两者的费用有什么不同`: that aspect's full passages, mode by mode
            question_type = aspect_types[0]

        events: List[Dict[Text, Any]] = [SlotSet("question_type", question_type)]
        available = kb.modes_for(question_type)
        modes = [m for m in modes if m in available] or (available if len(available) == 1 else [])
        if not modes:
            previous: Optional[str] = tracker.get_slot("mode")
            ordered = sorted(available, key=lambda m: m != previous)
            send(dispatcher, clarification_message(kb, question_type, ordered))
            return events

        answered = set()
        for mode in modes:
            resolved = kb.resolve(question_type, mode)
            if resolved.entry.id not in answered:
                answered.add(resolved.entry.id)
                send(dispatcher, answer_message(kb, resolved))
        if len(modes) == 1:
            events.append(SlotSet("mode", modes[0]))
        return events


class ActionDisambiguate(Action):
    """Low confidence or a near tie: offer the top candidates; with none, say it is off-topic
    when out_of_scope was plausible, else ask to rephrase; ask for text when there is none.
    The second message in a row the bot can't place (a fallback, or "都不是" to the candidates)
    goes to a person instead."""

    def name(self) -> Text:
        return "action_disambiguate"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        latest = tracker.latest_message
        if not has_meaningful_text(latest.get("text")):
            send(dispatcher, NO_CONTENT_MESSAGE)
            return []
        if is_repeated_fallback(tracker.events):
            return [FollowupAction(HANDOFF_ACTION)]
        modes = mentioned_modes(latest)
        mode = modes[0] if len(modes) == 1 else None
        plausible = [
            r["name"]
            for r in latest.get("intent_ranking") or []
            if r.get("confidence", 0) >= MIN_CANDIDATE_CONFIDENCE
        ]
        ranking = [name for name in plausible if name not in NOT_CANDIDATES]
        message = disambiguation_message(
            knowledge_base(), [(name, mode) for name in ranking[:MAX_CANDIDATES]]
        )
        if message is not None:
            send(dispatcher, message)
        elif "out_of_scope" in plausible:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:  # `嗯`, `xyz abc`: nothing to offer and nothing to say it is off-topic
            dispatcher.utter_message(response="utter_rephrase")
        return []
