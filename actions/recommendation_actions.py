"""Rasa actions of the mode recommendation: the form's validation, the recommendation,
its explanation, and a restart."""
from typing import Any, Dict, List, Set, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq_actions import send
from actions.knowledge import knowledge_base
from actions.profile_parsing import extract_profile
from actions.recommendation_engine import (
    UNKNOWN,
    load_criteria,
    questions_still_needed,
    recommend,
)
from actions.recommendation_messages import (
    acknowledgement,
    explanation_message,
    recommendation_message,
)

FORM = "recommendation_form"
RESET_ACTION = "action_reset_profile"
# Messages with these intents are not answers: the form lets them through (rejects), so
# the FAQ, restart, stop or handoff rules take over and the form resumes afterwards.
NOT_ANSWERS = {
    "choose_mode", "restart_recommendation", "stop_recommendation", "ask_why",
    "request_human", "out_of_scope",
}
# An unreadable reply with one of these intents is taken as "can't answer": the question is
# skipped rather than asked again.
SKIP_WHEN_UNREADABLE = {"inform", "deny", "nlu_fallback"}


def profile_fields() -> List[str]:
    return list(load_criteria().questions) + ["new_seller"]


def profile_from(tracker: Tracker) -> Dict[str, Any]:
    return {f: tracker.get_slot(f) for f in profile_fields()}


def questions_asked(tracker: Tracker) -> Set[str]:
    """Fields the form has asked since the last restart (derived from the events)."""
    asked: Set[str] = set()
    for event in tracker.events:
        if event.get("event") == "action" and event.get("name") == RESET_ACTION:
            asked.clear()
        elif event.get("event") == "slot" and event.get("name") == "requested_slot" and event.get("value"):
            asked.add(event["value"])
    return asked


class ValidateRecommendationForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_recommendation_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Text]:
        """Only the next question the decision still needs; none once recommended."""
        if tracker.get_slot("recommendation"):
            return []  # a changed answer gets a new recommendation at once
        if len(questions_asked(tracker)) >= load_criteria().max_questions:
            return []
        return questions_still_needed(profile_from(tracker))[:1]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[EventType]:
        latest = tracker.latest_message
        intent = (latest.get("intent") or {}).get("name")
        if tracker.latest_action_name != "action_listen":
            return []  # resuming after an interruption: nothing new was said
        if intent in NOT_ANSWERS or intent in knowledge_base().question_types:
            return []
        requested = tracker.get_slot("requested_slot")
        updates = extract_profile(latest.get("text") or "", latest.get("entities") or [], requested)
        if not updates and requested and intent in SKIP_WHEN_UNREADABLE:
            updates = {requested: UNKNOWN}
            dispatcher.utter_message(text="这个回答我没能识别。")
        if updates:
            dispatcher.utter_message(text=acknowledgement(updates, load_criteria()))
        return [SlotSet(field, value) for field, value in updates.items()]


    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[EventType]:
        """Parsing is the validation: keep every profile field the message set, not only
        the requested one (the SDK's default keeps just `required_slots`)."""
        fields = set(profile_fields())
        return [SlotSet(k, v) for k, v in tracker.slots_to_validate().items() if k in fields]


class ActionRecommend(Action):
    def name(self) -> Text:
        return "action_recommend"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        criteria = load_criteria()
        profile = profile_from(tracker)
        message = recommendation_message(recommend(profile, criteria), profile, criteria)
        send(dispatcher, message)
        return [SlotSet("recommendation", message["custom"])]


class ActionExplainRecommendation(Action):
    def name(self) -> Text:
        return "action_explain_recommendation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        last = tracker.get_slot("recommendation")
        if not last:
            dispatcher.utter_message(response="utter_no_recommendation_yet")
            return []
        send(dispatcher, explanation_message(last, load_criteria()))
        return []


class ActionResetProfile(Action):
    def name(self) -> Text:
        return RESET_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        dispatcher.utter_message(text="好的，我们从头开始。")
        return [SlotSet(f, None) for f in profile_fields()] + [
            SlotSet("recommendation", None),
            SlotSet("requested_slot", None),
        ]
