"""The review script's reading of a turn's reply kind, and the labels in the review sets."""
import json

import pytest

from actions.knowledge import knowledge_base
from scripts.review_conversations import REPLY_KINDS, reply_is_right, reply_kinds, turn_events
from tests.conftest import ROOT

REVIEW_SETS = sorted((ROOT / "tests" / "review_conversations").glob("*.json"))


def user(text):
    return {"event": "user", "text": text}


def bot(text="…", custom=None, response=None):
    return {"event": "bot", "text": text, "data": {"custom": custom},
            "metadata": {"utter_action": response} if response else {}}


def action(name):
    return {"event": "action", "name": name}


def test_only_the_events_after_the_last_seller_message_count():
    events = [user("代运营怎么收费"), bot(custom={"type": "answer", "id": "agency_cost"}),
              user("那风险呢"), action("action_answer_question"),
              bot(custom={"type": "answer", "id": "agency_risk"})]
    assert reply_kinds(turn_events(events)) == {"answer:agency_risk"}


def test_payloads_responses_and_actions_give_their_kinds():
    events = [action("action_answer_question"),
              bot(custom={"type": "answer", "id": "coop_cost"}),
              action("recommendation_form"), bot(response="utter_ask_annual_sales_usd"),
              bot(custom={"type": "disambiguation", "options": []}),
              action("action_explain_recommendation"), bot("因为…")]
    assert reply_kinds(events) == {"answer:coop_cost", "question", "rephrase", "why"}
    assert reply_kinds([bot(response="utter_out_of_scope")]) == {"out_of_scope"}
    assert reply_kinds([bot(custom={"type": "handoff", "ticket_id": 3})]) == {"handoff"}
    assert reply_kinds([bot(custom={"type": "no_content"})]) == {"rephrase"}


def test_a_turn_without_a_bot_message_is_silent():
    assert reply_kinds([action("action_listen")]) == {"silent"}
    # an action that ran but said nothing gives the seller nothing either
    assert reply_kinds([action("action_explain_recommendation")]) == {"silent"}


def test_a_reply_is_right_when_any_expected_kind_was_given():
    given = {"answer:agency_cost", "question"}
    assert reply_is_right(["answer:agency_cost"], given)
    assert reply_is_right(["clarification", "question"], given)
    assert reply_is_right(["answer"], given)
    assert not reply_is_right(["answer:coop_cost"], given)
    assert not reply_is_right(["answer"], {"question"})
    assert not reply_is_right(["clarification"], given)


@pytest.mark.parametrize("path", REVIEW_SETS, ids=lambda p: p.name)
def test_every_review_turn_names_right_reply_kinds_that_exist(path):
    valid = REPLY_KINDS | {f"answer:{entry_id}" for entry_id in knowledge_base().entries}
    turns = [turn for conversation in json.loads(path.read_text("utf-8"))
             for turn in conversation["turns"]]
    assert turns and all(turn.get("reply") for turn in turns)
    assert {label for turn in turns for label in turn["reply"]} <= valid
