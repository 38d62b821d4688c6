"""Rasa actions of the mode recommendation: the form's validation, the recommendation,
its explanation, and a restart."""
from collections import Counter
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation_context import (
    CONTEXT_SLOT,
    FORM_NAME,
    events_for_modes_named,
    mentioned_modes,
)
from actions.faq_actions import answer_question, likeliest_follow_up, send
from actions.handoff import waiting_ticket_id
from actions.knowledge import knowledge_base
from actions.profile_parsing import extract_profile
from actions.recommendation_engine import (
    UNKNOWN,
    enough_facts_known,
    load_criteria,
    questions_still_needed,
    recommend,
)
from actions.recommendation_messages import (
    acknowledgement,
    explanation_message,
    recommendation_message,
    why_asked_message,
)
from components.text_normalization import is_question

RESET_ACTION = "action_reset_profile"
# Commands are never read as answers: the form lets them through (rejects), so the restart,
# stop, why or handoff rules take over.
COMMANDS = {"choose_mode", "restart_recommendation", "stop_recommendation", "ask_why", "request_human",
            "report_urgent_issue"}
# A question gets this many seller turns; after that it counts as skipped.
TURNS_PER_QUESTION = 2
# An unreadable reply with one of these intents is taken as "can't answer": the question is
# skipped rather than asked again.
SKIP_WHEN_UNREADABLE = {"inform", "deny", "nlu_fallback"}
LISTEN = "action_listen"
RECOMMENDATION_REQUEST = "ask_recommendation"
# A question type this likely in the ranking of a message read as facts is what it asks.
# 0.1 with DIET; the SVM gives runners-up less (`那我能参加吗 一天一百来单…`: who fits at 0.04).
MIN_ASKED_CONFIDENCE = 0.02


def profile_fields() -> List[str]:
    return list(load_criteria().questions) + ["new_seller"]


def profile_from(tracker: Tracker) -> Dict[str, Any]:
    return {f: tracker.get_slot(f) for f in profile_fields()}


def seller_turns_per_question(tracker: Tracker) -> Counter:
    """For each field asked since the last restart, how many seller messages answered it
    (derived from the events: the requested slot at the time of each user message)."""
    turns: Counter = Counter()
    requested = None
    for event in tracker.events:
        if event.get("event") == "action" and event.get("name") == RESET_ACTION:
            turns.clear()
            requested = None
        elif event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
            if requested:
                turns.setdefault(requested, 0)
        elif event.get("event") == "user" and requested:
            turns[requested] += 1
    return turns


class ValidateRecommendationForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_recommendation_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Text]:
        """Only the next question the decision still needs; none once recommended."""
        if tracker.get_slot("recommendation"):
            return []  # a changed answer gets a new recommendation at once
        turns = seller_turns_per_question(tracker)
        profile = profile_from(tracker)
        if len(turns) >= load_criteria().max_questions or enough_facts_known(profile):
            return []
        needed = questions_still_needed(profile)
        return [f for f in needed if turns[f] < TURNS_PER_QUESTION][:1]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[EventType]:
        latest = tracker.latest_message
        intent = (latest.get("intent") or {}).get("name")
        text = latest.get("text") or ""
        # A message classified as an FAQ is an answer only when it is not phrased as a question
        # (`还没注册` may look like ask_how_to_start; `代运营怎么收费` is a real question).
        if intent in COMMANDS or (intent in knowledge_base().question_types and is_question(text)):
            return []
        requested = tracker.get_slot("requested_slot")
        updates = extract_profile(text, latest.get("entities") or [], requested)
        if updates and is_question(text) and all(
            tracker.get_slot(field) not in (None, UNKNOWN) for field in updates
        ):
            # `阿联酋站呢` after `德国站` was answered asks about 阿联酋站; it changes no answer
            asked = question_asked_with_facts(
                text, latest.get("intent_ranking") or [], bool(mentioned_modes(latest))
            )
            if asked:
                return answer_question(dispatcher, tracker, asked)
        if not updates and intent == "nlu_fallback":
            # `那联合运营怎么收` torn between cost and how to start: a question, not an
            # unreadable answer; its likeliest reading is answered and the question stays
            on_a_mode = bool(tracker.get_slot(CONTEXT_SLOT) or mentioned_modes(latest))
            asked = likeliest_follow_up(latest, on_a_mode)
            if asked:
                return answer_question(dispatcher, tracker, asked)
        if not updates and requested and intent in SKIP_WHEN_UNREADABLE:
            updates = {requested: UNKNOWN}
            dispatcher.utter_message(text="这个回答我没能识别。")
        # The form may read the same message twice (activation, resuming after an FAQ):
        # acknowledge only what changed.
        changed = {f: v for f, v in updates.items() if tracker.get_slot(f) != v}
        if changed:
            dispatcher.utter_message(text=acknowledgement(changed, load_criteria()))
        # an answer naming a mode (`Co-Op那种`) puts the conversation on it, as questions do
        context = events_for_modes_named(latest)
        return [SlotSet(field, value) for field, value in updates.items()] + context

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[EventType]:
        """Parsing is the validation: keep every profile field the message set, not only
        the requested one (the SDK's default keeps just `required_slots`), the mode(s) it
        named, and the question type of a question it answered."""
        kept = set(profile_fields()) | {CONTEXT_SLOT, "mode", "question_type"}
        return [SlotSet(k, v) for k, v in tracker.slots_to_validate().items() if k in kept]


class ActionRecommend(Action):
    def name(self) -> Text:
        return "action_recommend"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        criteria = load_criteria()
        profile = profile_from(tracker)
        message = recommendation_message(recommend(profile, criteria), profile, criteria)
        send(dispatcher, message)
        # `那要花多少钱` after the recommendation asks about the recommended mode(s)
        recommended = [m for m in message["custom"]["mode"].split("+") if m in knowledge_base().modes]
        return [SlotSet("recommendation", message["custom"]), SlotSet(CONTEXT_SLOT, recommended)]


class ActionExplainRecommendation(Action):
    """`为什么？`: the last recommendation's reasoning; in the middle of the questions, why the
    current one is asked."""

    def name(self) -> Text:
        return "action_explain_recommendation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        criteria = load_criteria()
        last = tracker.get_slot("recommendation")
        requested = tracker.get_slot("requested_slot")
        if not last and requested in criteria.questions:
            # in the middle of the questions: why this one is asked
            send(dispatcher, why_asked_message(requested, criteria))
            return []
        if not last:
            dispatcher.utter_message(response="utter_no_recommendation_yet")
            return []
        send(dispatcher, explanation_message(last, criteria))
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


class ActionTakeProfileInformation(Action):
    """`inform` outside the questionnaire: details of the seller's situation (`日均五十单，做美国站`)
    start it, or update a recommendation already given. Details with a question
    (`我月销3万刀，够吗`) get the answer instead, and the details are kept. A message with
    nothing the profile parser reads (`嗯`, `xyz abc`) is one the bot could not place, so the
    disambiguation action (the rule's next step) answers it and counts it towards a handoff.
    While a handoff ticket waits for staff, details (`店铺名 XX Home 美国站的`) are meant for
    them: the disambiguation action acknowledges them as passed on, and no questionnaire starts;
    a question with them is still answered, as questions are while a ticket waits."""

    def name(self) -> Text:
        return "action_take_profile_information"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        latest = tracker.latest_message
        text = latest.get("text") or ""
        # `We are a VC vendor… 想了解下Co-Op怎么参与`: questions after it are about the Co-Op
        context = events_for_modes_named(latest)
        facts = extract_profile(text, latest.get("entities") or [])
        if not facts:
            return context
        asked = question_asked_with_facts(
            text, latest.get("intent_ranking") or [], names_a_mode=bool(mentioned_modes(latest))
        )
        if asked is None and waiting_ticket_id(tracker.sender_id) is not None:
            return context
        if asked:
            # `月销3万刀，够吗`: the question is answered, and the facts kept for a later
            # recommendation; the turn ends there (the rule's next step is for unread messages)
            kept = [SlotSet(field, value) for field, value in facts.items()]
            answer = answer_question(dispatcher, tracker, asked)
            return context + kept + answer + [FollowupAction(LISTEN)]
        return context + [FollowupAction(FORM_NAME)]


def question_asked_with_facts(
    text: str, intent_ranking: List[Dict[Text, Any]], names_a_mode: bool = False
) -> Optional[str]:
    """The question type a message of facts also asks (`我们是SC 对方是VC 有影响吗`,
    `…美国站SC，一天十几单。听说可以找代运营，这个到底是啥`): the first question type in the
    ranking, when the message is phrased as a question and that type has at least
    `MIN_ASKED_CONFIDENCE`. None for facts alone (`一天二十来单 品牌还没注册`), and for facts
    asking what suits the seller, naming no mode (`…没团队 品牌有注册 你说我适合啥`: a request
    for a recommendation ranked above any question type), which the questionnaire answers."""
    if not is_question(text):
        return None
    question_types = knowledge_base().question_types
    for ranked in intent_ranking:
        if ranked.get("name") == RECOMMENDATION_REQUEST and not names_a_mode:
            return None
        if ranked.get("name") in question_types:
            return ranked["name"] if ranked.get("confidence", 0.0) >= MIN_ASKED_CONFIDENCE else None
    return None
