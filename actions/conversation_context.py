"""What the conversation is about: the mode(s) a follow-up naming none is answered for, and
what the bot said just before the latest message.

Every action that handles a message naming a mode puts the conversation on it, whatever
the message was (a question, shop details, a handoff, something off-topic).
"""
from typing import Any, Dict, List, Text

from rasa_sdk.events import SlotSet

from actions.knowledge import ALL_MODES, knowledge_base

# The mode(s) the conversation is on: a follow-up that names none is answered for them.
CONTEXT_SLOT = "context_modes"
# The questionnaire, started by any action that reads a seller's situation in a message.
FORM_NAME = "recommendation_form"


def mentioned_modes(latest_message: Dict[Text, Any]) -> List[str]:
    """Modes named in the message, in order, `all` expanded to the three modes."""
    kb = knowledge_base()
    modes: List[str] = []
    for value in entity_values(latest_message, "mode"):
        values = list(kb.modes) if value == ALL_MODES else [value]
        modes += [v for v in values if v in kb.modes and v not in modes]
    return modes


def context_events(modes: List[str]) -> List[Dict[Text, Any]]:
    """The conversation is now on `modes`: a follow-up naming no mode is about them."""
    events = [SlotSet(CONTEXT_SLOT, modes)]
    if len(modes) == 1:
        events.append(SlotSet("mode", modes[0]))
    return events


def entity_values(latest_message: Dict[Text, Any], entity: str) -> List[str]:
    return [
        e.get("value") for e in latest_message.get("entities") or [] if e.get("entity") == entity
    ]


def events_for_modes_named(latest_message: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    """context_events for the modes the message names; none when it names none."""
    modes = mentioned_modes(latest_message)
    return context_events(modes) if modes else []


def previous_bot_turn(events: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The payloads of what the bot said between the seller's previous message and the latest
    one, the last said first ({} for a message without one)."""
    payloads: List[Dict[Text, Any]] = []
    seen_latest_message = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_latest_message:
                break
            seen_latest_message = True
        elif event.get("event") == "bot" and seen_latest_message:
            custom = (event.get("data") or {}).get("custom")
            payloads.append(custom if isinstance(custom, dict) else {})
    return payloads


def answers_just_before(events: List[Dict[Text, Any]]) -> List[str]:
    """Entry ids of the answers the bot gave right before the latest seller message."""
    return [p.get("id") for p in previous_bot_turn(events) if p.get("type") == "answer"]
