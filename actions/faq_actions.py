"""Rasa actions that answer from the knowledge base."""
from typing import Any, Dict, List, Optional, Set, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_messages import (
    COMPARE,
    NO_CONTENT_MESSAGE,
    answer_message,
    carried_over_note,
    clarification_message,
    comparison_message,
    disambiguation_message,
)
from actions.handoff import (
    ACTION_NAME as HANDOFF_ACTION,
    TRIGGER_BY_INTENT,
    asks_about_the_wait,
    is_repeated_fallback,
    respond_unless_waiting,
    utter_waiting,
    waiting_ticket_id,
)
from actions.conversation_context import (
    CONTEXT_SLOT,
    FORM_NAME,
    answers_just_before,
    context_events,
    entity_values,
    events_for_modes_named,
    mentioned_modes,
    previous_bot_turn,
)
from actions.detail_follow_up import detail_passage, names_question_type
from actions.knowledge import ALL_MODES, KnowledgeBase, Resolved, knowledge_base
from actions.profile_parsing import extract_profile
from components.text_normalization import (
    has_meaningful_text,
    is_goodbye_in_digits,
    is_keyboard_mash,
    is_question,
)

DEFAULT_QUESTION_TYPE = "ask_what_is"
MAX_CANDIDATES = 3
MIN_CANDIDATE_CONFIDENCE = 0.05
# A question the classifier could not place, in a conversation already on a mode, is answered
# as its likeliest question type when that type has at least this much; the other candidates
# follow as buttons.
MIN_FOLLOW_UP_CONFIDENCE = 0.15
OTHER_CANDIDATES_TEXT = "如果您问的不是这个，您是想问……"
TERM_NOTE = "资料里讲到“{term}”的是这一段："
QUALIFICATION_NOTE = "能不能做，要看资料列出的资质和开通条件："
PROBLEM_HANDLING = "ask_problem_handling"
CONFIDENT = 0.9
WHO_FITS = "ask_who_fits"
HOW_TO_START = "ask_how_to_start"
QUALIFICATIONS = {"brand_registered", "account_type"}
# What the who-fits passages weigh a seller by: size, marketplace, category.
WHO_FITS_FACTS = {"annual_sales_usd", "daily_orders", "budget_usd", "marketplaces", "category"}
SITUATION_INTENTS = {"inform", "ask_recommendation"}
NOT_CANDIDATES = {"nlu_fallback", "out_of_scope", "greet", "thank", "goodbye", "deny"}


def pending_clarification(events: List[Dict[Text, Any]]) -> Optional[str]:
    """The question type of the bot's "which mode?" when it is the last thing the bot said
    before the latest seller message, else None."""
    said = previous_bot_turn(events)
    if said and said[0].get("type") == "clarification":
        return said[0].get("question_type")
    return None


def send(dispatcher: CollectingDispatcher, message: dict) -> None:
    dispatcher.utter_message(
        text=message["text"],
        buttons=message.get("buttons") or [],
        json_message=message.get("custom"),
    )


class ActionAnswerQuestion(Action):
    """Answers the question type for the named mode(s). With no mode named, a follow-up is
    answered for the mode(s) the conversation is on (`context_modes`: the last answer's, or
    the recommended one), saying so; with none yet, it asks which mode. A bare mode
    (`那联合运营呢？`) answers the last question type for that mode. While a handoff ticket
    waits, what asks about the wait and statements the classifier is unsure of are passed on
    to staff."""

    def name(self) -> Text:
        return "action_answer_question"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        latest = tracker.latest_message
        text = latest.get("text") or ""
        parsed = latest.get("intent") or {}
        intent = parsed.get("name")
        unsure_statement = (
            intent in knowledge_base().question_types
            and not is_question(text)
            and parsed.get("confidence", 1.0) < CONFIDENT
        )
        # While the handoff ticket waits, `要等多久啊` is for staff, not `多久见效`, and so is a
        # statement the classifier is unsure of (`可能跟之前合作的那个品牌有关，他们用了我们的图`):
        # more about the incident, not a question
        if asks_about_the_wait(text) or unsure_statement:
            ticket_id = waiting_ticket_id(tracker.sender_id)
            if ticket_id is not None:
                utter_waiting(dispatcher, ticket_id)
                return events_for_modes_named(latest)
        return answer_question(dispatcher, tracker, intent)


def answer_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[str]
) -> List[Dict[Text, Any]]:
    """Answers the latest message as asking `intent`: the NLU's question type, or the one a
    message of facts also asks (`action_take_profile_information`). Any other intent (a bare
    mode, a choice) asks the conversation's last question type again."""
    kb = knowledge_base()
    latest = tracker.latest_message
    text = latest.get("text") or ""
    question_type = (
        intent
        if intent in kb.question_types
        else tracker.get_slot("question_type") or DEFAULT_QUESTION_TYPE
    )
    modes = mentioned_modes(latest)
    pending = pending_clarification(tracker.events)
    if pending and modes and intent == "ask_what_is" and not is_question(text):
        # `就是跟亚马逊一起搞的那个co-op` answers "which mode?"; it asks nothing new
        question_type = pending

    if question_type == COMPARE:
        modes = modes if len(modes) >= 2 else list(kb.modes)
        aspect_types = [kb.aspect_question_type(a) for a in entity_values(latest, "aspect")]
        aspect_types = [a for a in aspect_types if a]
        if not aspect_types:
            send(dispatcher, comparison_message(kb, modes))
            return [SlotSet("question_type", COMPARE), SlotSet(CONTEXT_SLOT, modes)]
        # `两者的费用有什么不同`: that aspect's full passages, mode by mode
        question_type = aspect_types[0]

    events: List[Dict[Text, Any]] = [SlotSet("question_type", question_type)]
    available = kb.modes_for(question_type)
    named = [m for m in modes if m in available]
    modes = named or (available if len(available) == 1 else [])
    lead = None
    if not modes and pending and intent == "choose_mode":
        # `都说说吧`, `三个都要`: a choice naming no mode, right after "which mode?"
        modes = available
    if not modes:
        modes = [m for m in tracker.get_slot(CONTEXT_SLOT) or [] if m in available]
        lead = carried_over_note(kb, modes) if modes else None
    if not modes:
        # `SLA是什么` with no mode yet: a term only one passage of all contains names it
        named_anywhere = kb.passage_naming_a_term(text, kb.modes)
        if named_anywhere:
            modes = [named_anywhere[0].modes[0]]
    if not modes:
        previous: Optional[str] = tracker.get_slot("mode")
        ordered = sorted(available, key=lambda m: m != previous)
        send(dispatcher, clarification_message(kb, question_type, ordered))
        return events

    answered = set()
    confident = (latest.get("intent") or {}).get("confidence", 0.0) >= CONFIDENT
    # details of the last answer: not for a message naming a mode, nor for a seller in
    # trouble (the remedy comes first), nor for a question that confidently names its own
    # type (`要怎么开通？需要什么资格` after the definition)
    just_answered = (
        answers_just_before(tracker.events) if not named and intent != PROBLEM_HANDLING else []
    )
    if (
        just_answered
        and confident
        and names_question_type(text, question_type)
    ):
        just_answered = []
    # what the seller states matters only to a who-fits question: parsed once, not per mode
    stated = stated_facts(latest) if question_type == WHO_FITS else set()
    for mode in modes:
        # a term of the documents, or a detail of the last answer, names the passage the
        # seller asks about; a follow-up (`那代运营呢`) then asks that passage's question type
        by_type = kb.resolve(question_type, mode)
        resolved = term_passage(kb, text, mode)
        if (resolved and confident and resolved.entry.question_type == DEFAULT_QUESTION_TYPE
                and question_type != DEFAULT_QUESTION_TYPE):
            # a definition only lists the term: `跨品牌优惠券转化很差，为啥` asks why it fails
            resolved = None
        if not resolved and just_answered:
            resolved = detail_passage(kb, text, mode, just_answered, by_type)
        if resolved:
            events = [SlotSet("question_type", resolved.entry.question_type)]
        else:  # `那代运营呢` after `没商标能做联合营销吗` still asks who fits
            resolved = qualification_passage(kb, stated, question_type, mode) or by_type
        if resolved.entry.id not in answered:
            answered.add(resolved.entry.id)
            send(dispatcher, answer_message(kb, resolved, lead))
            lead = None  # said once, before the first answer
    return events + context_events(modes)


def term_passage(kb: KnowledgeBase, text: str, mode: str) -> Optional[Resolved]:
    """The passage of the mode that a term of the question names (`知识产权那块具体指啥`,
    `促销日历提前多久对齐`): the seller is asking about that detail, whatever question type
    the wording suggests."""
    named = kb.passage_naming_a_term(text, [mode])
    if named is None:
        return None
    entry, term = named
    return Resolved(entry, mode, TERM_NOTE.format(term=term))


def stated_facts(latest: Dict[Text, Any]) -> Set[str]:
    """The profile fields the message states (`没商标` → brand_registered)."""
    return set(extract_profile(latest.get("text") or "", latest.get("entities") or []))


def qualification_passage(
    kb: KnowledgeBase, stated: Set[str], question_type: str, mode: str
) -> Optional[Resolved]:
    """`没商标能做联合营销吗`, `我SC的有戏吗`: a who-fits question that states a qualification
    (brand registration, account type) and nothing the who-fits passage weighs asks what is
    required, which the mode's own how-to-start passage lists. A stated size, marketplace or
    category (`年销几十万刀 有戏吗`, `做加拿大站健康类 有品牌 适合吗`) is measured against the
    who-fits passage instead. Not for a mode whose how-to-start cell borrows another passage
    (代运营's is about choosing a provider)."""
    if question_type != WHO_FITS:
        return None
    if not stated & QUALIFICATIONS or stated & WHO_FITS_FACTS:
        return None
    resolved = kb.resolve(HOW_TO_START, mode)
    if resolved is None or resolved.entry.question_type != HOW_TO_START:
        return None
    return Resolved(resolved.entry, mode, QUALIFICATION_NOTE)


class ActionDisambiguate(Action):
    """Low confidence or a near tie: offer the top candidates; with none, say it is off-topic
    when out_of_scope was plausible, else ask to rephrase; ask for text when there is none.
    The second message in a row the bot can't place (a fallback, or "都不是" to the candidates)
    goes to a person instead. While a ticket waits for staff, such a message is likely meant
    for them: it is acknowledged as passed on (the event broker adds it to the ticket)."""

    def name(self) -> Text:
        return "action_disambiguate"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        latest = tracker.latest_message
        if not has_meaningful_text(latest.get("text")):
            send(dispatcher, NO_CONTENT_MESSAGE)
            return []
        ticket_id = waiting_ticket_id(tracker.sender_id)
        if ticket_id is not None:
            utter_waiting(dispatcher, ticket_id)
            # `等的时候问下，联合营销要品牌注册吗` passed on: the next question is still about 联合营销
            return events_for_modes_named(latest)
        if states_situation(latest):
            # `做个评估吧：SC，年销一百五十万英镑…`, torn between the two: either way, the questionnaire
            return events_for_modes_named(latest) + [FollowupAction(FORM_NAME)]
        if is_repeated_fallback(tracker.events):
            return [FollowupAction(HANDOFF_ACTION)]
        plausible = [
            r["name"]
            for r in latest.get("intent_ranking") or []
            if r.get("confidence", 0) >= MIN_CANDIDATE_CONFIDENCE
        ]
        ranking = [name for name in plausible if name not in NOT_CANDIDATES]
        asked = likeliest_follow_up(latest, bool(tracker.get_slot(CONTEXT_SLOT)))
        if asked:
            # `效果拿啥追踪` after the definition: answered, and the other readings offered
            events = answer_question(dispatcher, tracker, asked)
            answered_modes = next(
                (e["value"] for e in events if e.get("name") == CONTEXT_SLOT), []
            )
            mode = answered_modes[0] if len(answered_modes) == 1 else None
            others = [(name, mode) for name in ranking if name != asked][: MAX_CANDIDATES - 1]
            message = disambiguation_message(knowledge_base(), others, OTHER_CANDIDATES_TEXT)
            if message is not None:
                send(dispatcher, message)
            return events
        # `这算联合营销吗` not placed: a follow-up (`咋开通`) is still about the mode it named
        modes = mentioned_modes(latest)
        events = context_events(modes) if modes else []
        mode = modes[0] if len(modes) == 1 else None
        message = disambiguation_message(
            knowledge_base(), [(name, mode) for name in ranking[:MAX_CANDIDATES]]
        )
        if message is not None:
            send(dispatcher, message)
        elif "out_of_scope" in plausible:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:  # `嗯`, `xyz abc`: nothing to offer and nothing to say it is off-topic
            dispatcher.utter_message(response="utter_rephrase")
        return events


def likeliest_follow_up(latest: Dict[Text, Any], on_a_mode: bool) -> Optional[str]:
    """The question type a question the classifier could not place most likely asks, when the
    conversation is on a mode (`没达到会咋样` after the Co-Op's pitfalls) and that type has at
    least `MIN_FOLLOW_UP_CONFIDENCE`; None otherwise (`那我去开个VC行不行` with nothing before),
    and when the runner-up asks for a person."""
    if not on_a_mode or not is_question(latest.get("text") or ""):
        return None
    ranked = [r for r in latest.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    if not ranked or ranked[0].get("confidence", 0.0) < MIN_FOLLOW_UP_CONFIDENCE:
        return None
    if len(ranked) > 1 and ranked[1].get("name") in TRIGGER_BY_INTENT:
        # a runner-up leading to a person (`Can I talk to someone from your support team?`):
        # that misread costs most, so no guessed answer
        return None
    name = ranked[0]["name"]
    return name if name in knowledge_base().question_types else None


def states_situation(latest: Dict[Text, Any]) -> bool:
    """A message the classifier could not place between shop details and a request for a
    recommendation, with details the profile parser reads: both lead to the questionnaire."""
    ranked = [r["name"] for r in latest.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    if set(ranked[:2]) != SITUATION_INTENTS:
        return False
    return bool(stated_facts(latest))


class ActionOutOfScope(Action):
    """Says a message is off-topic, except a figure quoted from the answer just given
    (`67%提前终止？？这么高`, `ROAS 5.8是怎么做到的`): that gets its sentence, and goodbye in
    digits (`88`, `行 88`), which the classifier reads as a figure: that gets goodbye. A
    keyboard mash (`asdfjkl;;`) is not a question on another topic: it gets a request to
    rephrase. Inside the questionnaire the form reads a bare number as the answer, so this
    action is not used there."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kb = knowledge_base()
        text = tracker.latest_message.get("text") or ""
        if is_goodbye_in_digits(text):
            dispatcher.utter_message(response="utter_goodbye")
            return []
        if is_keyboard_mash(text):
            respond_unless_waiting(dispatcher, tracker.sender_id, "utter_rephrase")
            return []
        just_answered = answers_just_before(tracker.events)
        modes = (tracker.get_slot(CONTEXT_SLOT) or []) if just_answered else []
        for mode in modes:
            quoted = detail_passage(kb, text, mode, just_answered, None, figures_only=True)
            if quoted:
                send(dispatcher, answer_message(kb, quoted))
                return [SlotSet("question_type", quoted.entry.question_type)]
        respond_unless_waiting(dispatcher, tracker.sender_id, "utter_out_of_scope")
        # `要开欧洲五国 VAT搞得头大 要不要找个代运营`: the next question is about 代运营
        return events_for_modes_named(tracker.latest_message)
