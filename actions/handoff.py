"""Handoff to a person: the ticket, the staff notification, and the wait for staff.

Three triggers: the seller asks for a person (request_human), reports an urgent incident
(report_urgent_issue, see support/urgency.py), or the bot failed to understand twice in a row
(action_disambiguate follows up with action_handoff). While the ticket waits (open) the bot
still answers the questions it can, and what it can't place goes to staff with a short
acknowledgement (action_disambiguate). Once staff claim the ticket the web app pauses the
conversation: Rasa logs the seller's messages without answering, until staff resolve it. Either
way the event broker (support/event_broker.py) adds every message to the ticket.
"""
import logging
import os
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation_context import events_for_modes_named
from actions.knowledge import knowledge_base
from support import store
from support.db import session_scope
from support.notify import post_in_background
from support.urgency import Topic, expectation, one_line_summary, urgency_for, urgent_topic

logger = logging.getLogger(__name__)

ACTION_NAME = "action_handoff"
TRANSCRIPT_TURNS = 10
FALLBACK_INTENT = "nlu_fallback"
DISAMBIGUATION_ACTION = "action_disambiguate"
TRIGGER_BY_INTENT = {"request_human": "asked_for_person", "report_urgent_issue": "urgent_topic"}
RECOMMENDATION_INTENTS = {"ask_recommendation", "inform", "ask_why", "restart_recommendation",
                          "stop_recommendation"}
# Intents that say nothing about what the seller needs help with.
NO_TOPIC_INTENTS = {"request_human", "report_urgent_issue", FALLBACK_INTENT, "deny", "greet",
                    "thank", "goodbye", "ask_capabilities", "out_of_scope", "choose_mode"}
# Slots that are dialogue bookkeeping, not facts worth carrying into a new session (a new
# session starts a new topic: a mode-less question there asks which mode).
NOT_CARRIED_OVER = {"requested_slot", "context_modes"}

OPENINGS = {
    "asked_for_person": "好的，这就为您转接人工客服。",
    "repeated_fallback": "抱歉，我没能理解您的问题，已为您转接人工客服。",
    "urgent_topic": "您遇到的{label}需要人工及时处理，已为您转接人工客服。",
}
NEXT_STEPS = ("客服同事会查看我们刚才的对话，并直接在这里回复您。从现在起，您发送的消息都会转给客服；"
              "客服接手前，联合营销、代运营、亚马逊联合运营的问题您仍可以继续问我。")
ALREADY_OPEN = "您的问题已在人工处理中（工单号 #{id}）。您发送的消息都会转给客服，请稍候。"
# `客服多久能回复`, `要等多久`, `怎么还没人来`: about the wait for staff, not an FAQ (the NLU has
# no intent for it and reads `多久` as a question about results); simplified text
WAIT_QUESTION = re.compile(
    r"(多久|多长时间|什么时候|啥时候|几时|几点)[^，。？！?!]{0,6}"
    r"(回复|回我|回消息|处理|联系|有人|跟进)|要等|等多久|排队|(怎么|咋)还没(人|来|回)")
# what the bot says to a message it can't place while the ticket waits for staff
WAITING = ("收到，这条消息已转给客服（工单号 #{id}），客服接手后会直接回复您。"
           "联合营销、代运营、亚马逊联合运营的问题，您也可以继续问我。")
FAILED = ("抱歉，转接人工暂时没有成功，请稍后再发“转人工”试一次。在此期间，您也可以继续向我提问。")


# ---- pure functions over the tracker's events ----

def handoff_trigger(intent: Optional[str]) -> str:
    return TRIGGER_BY_INTENT.get(intent or "", "repeated_fallback")


def _intent(event: Dict) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def _is_payload(text: Optional[str]) -> bool:
    return (text or "").lstrip().startswith("/")


def _events_of_session(events: Sequence[Dict]) -> List[Dict]:
    """The events since the last session start (a new session starts over)."""
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    return list(events[starts[-1] + 1:] if starts else events)


def counts_as_fallback(
    user_event: Dict, action_before: Optional[str], actions_after: Sequence[str]
) -> bool:
    """A message the bot could not place: one it answered with the disambiguation action (an
    nlu_fallback, or an `inform` outside the questionnaire with nothing readable) that has text
    in it (an emoji or an empty message only gets a prompt to type), or "都不是" right after
    the offered candidates."""
    from components.text_normalization import has_meaningful_text

    if _intent(user_event) == "deny" and action_before == DISAMBIGUATION_ACTION:
        return True
    return DISAMBIGUATION_ACTION in actions_after and has_meaningful_text(user_event.get("text"))


def _turns(events: Sequence[Dict]) -> List[Tuple[Dict, Optional[str], List[str]]]:
    """Each seller message as (user event, the bot action just before it, the bot actions
    after it)."""
    turns: List[Tuple[Dict, Optional[str], List[str]]] = []
    last_action = None
    for event in events:
        if event.get("event") == "user":
            turns.append((event, last_action, []))
        elif event.get("event") == "action" and event.get("name") != "action_listen":
            last_action = event.get("name")
            if turns:
                turns[-1][2].append(last_action)
    return turns


def is_repeated_fallback(events: Sequence[Dict]) -> bool:
    """Asked by the disambiguation action about the message it is answering: True when the
    seller message before it could not be placed either."""
    turns = _turns(_events_of_session(events))
    if len(turns) < 2:
        return False
    latest, before_latest = turns[-1], turns[-2]
    return counts_as_fallback(latest[0], latest[1], latest[2] + [DISAMBIGUATION_ACTION]) \
        and counts_as_fallback(*before_latest)


def context_category(events: Sequence[Dict], question_type: Optional[str] = None) -> str:
    """The knowledge area (question type) or intent group the seller was last on; messages
    the bot could not place say nothing about it."""
    question_types = knowledge_base().question_types
    for event, _, actions_after in reversed(_turns(events)):
        if DISAMBIGUATION_ACTION in actions_after:
            continue
        intent = _intent(event)
        if intent in question_types:
            return intent
        if intent in RECOMMENDATION_INTENTS:
            return "recommendation"
        if intent == "choose_mode" and question_type in question_types:
            return question_type
    return question_type if question_type in question_types else "general"


def _utc(timestamp: Any) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (TypeError, ValueError):
        return None


def transcript_from(events: Sequence[Dict], turns: int = TRANSCRIPT_TURNS
                    ) -> List[Tuple[str, str, Optional[datetime]]]:
    """The last seller and bot messages, oldest first, as (author, text, time)."""
    lines = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not text:
            continue
        staff = kind == "bot" and (event.get("metadata") or {}).get("staff")
        author = "seller" if kind == "user" else "staff" if staff else "bot"
        lines.append((author, text, _utc(event.get("timestamp"))))
    return lines[-turns:]


def question_of(events: Sequence[Dict], trigger: str) -> Optional[str]:
    """What the summary quotes: the seller's message that carries the issue."""
    user_events = [e for e in events if e.get("event") == "user" and e.get("text")
                   and not _is_payload(e.get("text"))]
    if not user_events:
        return None
    if trigger == "asked_for_person":
        # "转人工" says nothing; the question before it does
        topical = [e for e in user_events if _intent(e) not in NO_TOPIC_INTENTS]
        if topical:
            return topical[-1]["text"]
    return user_events[-1]["text"]


def handoff_message(ticket_id: int, urgency: str, trigger: str,
                    topic: Optional[Topic] = None) -> str:
    label = f"“{topic.label}”问题" if topic else "问题"
    opening = OPENINGS[trigger].format(label=label)
    return f"{opening}工单号：#{ticket_id}。\n{expectation(urgency)}\n{NEXT_STEPS}"


def profile_of(tracker: Tracker) -> Dict[str, Any]:
    """The seller profile the recommendation form collected (only what is known)."""
    from actions.recommendation_actions import profile_from

    return {k: v for k, v in profile_from(tracker).items() if v is not None}


# ---- actions ----

class ActionHandoff(Action):
    """Opens a ticket (or adds to the open one) and tells staff and the seller. The bot keeps
    answering until staff claim the ticket (the web app pauses the conversation then)."""

    def name(self) -> Text:
        return ACTION_NAME

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        latest = tracker.latest_message or {}
        trigger = handoff_trigger((latest.get("intent") or {}).get("name"))
        topic = urgent_topic(latest.get("text") or "") if trigger == "urgent_topic" else None
        category = topic.category if topic else context_category(
            tracker.events, tracker.get_slot("question_type"))
        urgency = urgency_for(trigger, topic)
        channel = tracker.get_latest_input_channel() or "unknown"
        try:
            with session_scope() as session:
                ticket = store.open_ticket_for(session, tracker.sender_id)
                if ticket is not None:
                    # the conversation was resumed outside the console (a new session, a
                    # restart): the broker has already added the seller's messages
                    text = ALREADY_OPEN.format(id=ticket.id)
                    store.add_message(session, ticket.id, "bot", text)
                    new = None
                else:
                    ticket = store.create_ticket(
                        session, sender_id=tracker.sender_id, channel=channel,
                        category=category, urgency=urgency, trigger=trigger,
                        summary=one_line_summary(trigger, topic,
                                                 question_of(tracker.events, trigger), category),
                        profile=profile_of(tracker),
                        recommendation=tracker.get_slot("recommendation"),
                        transcript=transcript_from(tracker.events))
                    text = handoff_message(ticket.id, urgency, trigger, topic)
                    store.add_message(session, ticket.id, "bot", text)
                    store.record_event(session, sender_id=tracker.sender_id, channel=channel,
                                       kind="handoff", detail=trigger)
                    new = store.ticket_dict(ticket)
        except Exception:  # the database is down: the bot keeps answering rather than go silent
            logger.exception("could not open a ticket for a handoff")
            dispatcher.utter_message(text=FAILED)
            return []
        if new is not None:
            post_in_background(new, os.environ.get("SLACK_STAFF_WEBHOOK_URL"))
        dispatcher.utter_message(text=text, json_message={
            "type": "handoff", "ticket_id": ticket.id, "urgency": ticket.urgency,
            "trigger": ticket.trigger, "status": ticket.status})
        # `代运营广告花超了`: questions while the ticket waits are about the mode it named
        return events_for_modes_named(latest)


def asks_about_the_wait(text: str) -> bool:
    from components.text_normalization import to_simplified

    return bool(WAIT_QUESTION.search(to_simplified(text or "")))


def utter_waiting(dispatcher: CollectingDispatcher, ticket_id: int) -> None:
    dispatcher.utter_message(text=WAITING.format(id=ticket_id), json_message={
        "type": "handoff_waiting", "ticket_id": ticket_id})


def respond_unless_waiting(dispatcher: CollectingDispatcher, sender_id: str,
                           response: str) -> None:
    """A small-talk response, except while the seller's ticket waits for staff: `在吗`, `快点`
    or an order number are then meant for staff, and are acknowledged as passed on."""
    ticket_id = waiting_ticket_id(sender_id)
    if ticket_id is None:
        dispatcher.utter_message(response=response)
    else:
        utter_waiting(dispatcher, ticket_id)


class ActionGreet(Action):
    def name(self) -> Text:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        respond_unless_waiting(dispatcher, tracker.sender_id, "utter_greet")
        return []


class ActionSessionStart(Action):
    """Rasa's session start (carry the slots over), plus: a conversation a person has claimed
    stays paused. Without this, a seller writing again after session_expiration_time would get
    bot answers while staff hold the ticket, since a new session un-pauses the tracker."""

    def name(self) -> Text:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events += [SlotSet(name, value) for name, value in tracker.slots.items()
                       if value is not None and name not in NOT_CARRIED_OVER]
        if held_by_a_person(tracker.sender_id):
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events


def held_by_a_person(sender_id: str) -> bool:
    ticket = active_ticket(sender_id)
    return ticket is not None and ticket[1] == "claimed"


def waiting_ticket_id(sender_id: str) -> Optional[int]:
    """The id of the seller's ticket that waits for staff (open, not yet claimed)."""
    ticket = active_ticket(sender_id)
    return ticket[0] if ticket is not None and ticket[1] == "open" else None


def active_ticket(sender_id: str) -> Optional[Tuple[int, str]]:
    """(id, status) of the seller's open or claimed ticket."""
    try:
        with session_scope() as session:
            ticket = store.open_ticket_for(session, sender_id)
            return (ticket.id, ticket.status) if ticket is not None else None
    except Exception:  # no database: carry on as if there were no ticket
        logger.exception("could not check for an open ticket")
        return None
