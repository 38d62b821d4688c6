"""Handoff rules, pure: urgent topics, urgency, summary, the handoff message, the triggers
read from tracker events, and the NLU component. No database, no Rasa server."""
import re

import pytest
import yaml
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.handoff import (
    context_category,
    handoff_message,
    handoff_trigger,
    is_repeated_fallback,
    question_of,
    transcript_from,
)
from components.urgent_topic import URGENT_INTENT, UrgentTopicClassifier
from support.urgency import (
    RULES_PATH,
    category_label,
    expectation,
    load_rules,
    mentioned_topics,
    one_line_summary,
    topic_by_id,
    urgency_for,
    urgent_topic,
)

RULES_DATA = yaml.safe_load(RULES_PATH.read_text("utf-8"))


def _examples(kind):
    return [(topic_id, text) for topic_id, topic in RULES_DATA["topics"].items()
            for text in topic["examples"][kind]]


# ---- urgent topics ----

@pytest.mark.parametrize("topic_id,text", _examples("incident"))
def test_an_incident_in_the_rules_file_is_urgent(topic_id, text):
    topic = urgent_topic(text)
    assert topic is not None and topic.id == topic_id, text


@pytest.mark.parametrize("topic_id,text", _examples("general"))
def test_a_question_about_a_risk_is_not_an_incident(topic_id, text):
    assert urgent_topic(text) is None, text
    assert topic_id in [t.id for t in mentioned_topics(text)], "the example names its topic"


@pytest.mark.parametrize("text,topic_id", [
    # the six risks the issue names, reported as happening
    ("我的Listing被停用了", "listing_suspended"),
    ("我的账户被封了怎么办", "account_suspended"),
    ("广告超支了，每天多花好几百刀", "ad_overspend"),
    ("服务商违约了", "breach_of_contract"),
    ("刚被罚金了", "penalty"),
    ("我们被投诉侵权了", "infringement"),
    # variants: slang, traditional characters, full-width, English
    ("号被封了 急急急", "account_suspended"),
    ("我的帳號被凍結了", "account_suspended"),
    ("ＡＣＯＳ爆了", "ad_overspend"),
    ("Our listing was removed this morning", "listing_suspended"),
    ("we just got an IP complaint", "infringement"),
])
def test_each_named_risk_and_its_variants(text, topic_id):
    assert urgent_topic(text).id == topic_id


@pytest.mark.parametrize("text", [
    "代运营会导致账户被封吗", "代运营怎么收费", "三种模式对比", "联合营销会不会有侵权风险",
    "如果账户被封了怎么办", "我想了解一下代运营的罚金条款", "", "   ",
    '/ask_risk{"mode":"agency"}',  # a button payload is never read as an incident
])
def test_no_incident(text):
    assert urgent_topic(text) is None


def test_the_most_urgent_topic_wins_when_several_match():
    # an IP complaint (urgent) that also mentions a fine (high)
    assert urgent_topic("刚收到侵权投诉，还被罚款了").urgency == "urgent"


def test_the_rules_file_is_consistent():
    rules = load_rules()
    kb_areas = set(yaml.safe_load(
        (RULES_PATH.parents[1] / "knowledge" / "knowledge_base.yml").read_text("utf-8")
    )["question_types"])
    assert set(rules.urgencies) == {"urgent", "high", "normal"}
    assert set(rules.triggers) == {"asked_for_person", "repeated_fallback", "urgent_topic"}
    assert {t.id for t in rules.topics} == {
        "listing_suspended", "account_suspended", "ad_overspend", "breach_of_contract",
        "penalty", "infringement", "listing_hijacked"}
    for topic_id, topic in RULES_DATA["topics"].items():
        assert topic["urgency"] in rules.urgencies, topic_id
        assert topic["category"] in kb_areas | set(rules.categories), topic_id
        assert topic["examples"]["incident"] and topic["examples"]["general"], topic_id
        for keyword in topic["keywords"]:
            # a trailing 了 would be swallowed by the keyword and never count as a marker
            assert not keyword.endswith("了"), keyword
        for pattern in topic.get("patterns") or []:
            re.compile(pattern)
    for trigger in rules.triggers.values():
        assert trigger["urgency"] in rules.urgencies


# ---- urgency, labels, summary ----

def test_urgency_comes_from_the_topic_else_the_trigger():
    assert urgency_for("urgent_topic", topic_by_id("account_suspended")) == "urgent"
    assert urgency_for("urgent_topic", topic_by_id("penalty")) == "high"
    for trigger, rule in RULES_DATA["triggers"].items():
        assert urgency_for(trigger) == rule["urgency"]
    assert urgency_for("something_new") == "normal"


def test_expectations_and_labels():
    for urgency in ("urgent", "high", "normal"):
        assert re.search(r"[\u4e00-\u9fff]", expectation(urgency))
    assert expectation("urgent") != expectation("normal")
    assert category_label("ask_cost") == "费用"
    assert category_label("recommendation") == "模式推荐"
    assert category_label("no_such_area") == "no_such_area"


def test_summary_names_the_topic_or_trigger_and_quotes_the_seller():
    topic = topic_by_id("account_suspended")
    assert one_line_summary("urgent_topic", topic, "我的账户被封了怎么办") == \
        "紧急·账户被封：“我的账户被封了怎么办”"
    assert one_line_summary("asked_for_person", None, "代运营怎么收费", "ask_cost") == \
        "卖家要求转人工（费用）：“代运营怎么收费”"
    assert one_line_summary("repeated_fallback", None, None) == "连续两次未能理解"
    long = one_line_summary("repeated_fallback", None, "很长的问题" * 100)
    assert len(long) <= 200 and long.endswith("…”")


def test_handoff_message_says_who_takes_over_the_ticket_and_what_happens_next():
    text = handoff_message(42, "urgent", "urgent_topic", topic_by_id("account_suspended"))
    assert "账户被封" in text and "人工客服" in text and "#42" in text
    assert expectation("urgent") in text
    assert "转给客服" in text and "客服接手前" in text and "仍可以继续问我" in text
    assert handoff_message(7, "normal", "asked_for_person").startswith("好的，这就为您转接人工客服")
    assert "没能理解" in handoff_message(7, "normal", "repeated_fallback")


# ---- triggers read from tracker events ----

def user(text, intent):
    return {"event": "user", "text": text, "timestamp": 1_700_000_000,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def action(name):
    return {"event": "action", "name": name}


def bot(text, **metadata):
    return {"event": "bot", "text": text, "timestamp": 1_700_000_001, "metadata": metadata}


LISTEN = action("action_listen")


def test_trigger_from_the_intent():
    assert handoff_trigger("request_human") == "asked_for_person"
    assert handoff_trigger("report_urgent_issue") == "urgent_topic"
    assert handoff_trigger("nlu_fallback") == "repeated_fallback"  # via action_disambiguate


@pytest.mark.parametrize("events,expected", [
    # two fallbacks in a row
    ([user("asdf 啥玩意", "nlu_fallback"), action("action_disambiguate"), LISTEN,
      user("qwer 那个东西", "nlu_fallback")], True),
    # "都不是" to the candidates counts as a fallback
    ([user("asdf 啥玩意", "nlu_fallback"), action("action_disambiguate"), LISTEN,
      user("都不是", "deny"), action("utter_rephrase"), LISTEN,
      user("qwer 那个东西", "nlu_fallback")], True),
    # one fallback only
    ([user("asdf 啥玩意", "nlu_fallback")], False),
    ([user("代运营怎么收费", "ask_cost"), action("action_answer_question"), LISTEN,
      user("asdf 啥玩意", "nlu_fallback")], False),
    # an answered question in between
    ([user("asdf", "nlu_fallback"), action("action_disambiguate"), LISTEN,
      user("代运营怎么收费", "ask_cost"), action("action_answer_question"), LISTEN,
      user("qwer", "nlu_fallback")], False),
    # "不是" that isn't an answer to the candidates
    ([user("联合营销适合我吗", "ask_who_fits"), action("action_answer_question"), LISTEN,
      user("不是", "deny"), action("utter_rephrase"), LISTEN,
      user("qwer 那个东西", "nlu_fallback")], False),
    # an inform outside the questionnaire with nothing readable was answered as not understood
    ([user("嗯", "inform"), action("action_take_profile_information"),
      action("action_disambiguate"), LISTEN, user("qwer 那个东西", "nlu_fallback")], True),
    # an inform with the seller's details started the questionnaire: understood
    ([user("日均五十单", "inform"), action("action_take_profile_information"),
      action("recommendation_form"), LISTEN, user("qwer 那个东西", "nlu_fallback")], False),
    # an emoji has no text to misunderstand: it only gets a prompt to type
    ([user("👍", "nlu_fallback"), action("action_disambiguate"), LISTEN,
      user("qwer 那个东西", "nlu_fallback")], False),
    # a new session starts the count over
    ([user("asdf", "nlu_fallback"), action("action_disambiguate"), LISTEN,
      {"event": "session_started"}, LISTEN, user("qwer", "nlu_fallback")], False),
])
def test_repeated_fallback(events, expected):
    assert is_repeated_fallback(events) is expected


def test_category_is_the_last_knowledge_area_or_intent_group():
    assert context_category([user("代运营怎么收费", "ask_cost"), user("转人工", "request_human")]) \
        == "ask_cost"
    assert context_category([user("代运营怎么收费", "ask_cost"),
                             user("帮我推荐", "ask_recommendation"),
                             user("日均二十单", "inform"), user("转人工", "request_human")]) \
        == "recommendation"
    assert context_category([user("那联合运营呢", "choose_mode")], "ask_cost") == "ask_cost"
    assert context_category([user("你好", "greet"), user("转人工", "request_human")]) == "general"
    # `嗯` read as inform but not understood is not a recommendation topic
    assert context_category([user("代运营怎么收费", "ask_cost"), action("action_answer_question"),
                             user("嗯", "inform"), action("action_take_profile_information"),
                             action("action_disambiguate"), user("xyz", "nlu_fallback"),
                             action("action_disambiguate")]) == "ask_cost"


def test_transcript_keeps_the_last_ten_messages_with_authors():
    events = [user(f"问题{i}", "ask_cost") if i % 2 == 0 else bot(f"回答{i}") for i in range(14)]
    events += [bot("客服：您好", staff=True), action("action_listen"), bot("")]
    lines = transcript_from(events)
    assert len(lines) == 10
    assert lines[-1][:2] == ("staff", "客服：您好")
    assert lines[-2][:2] == ("bot", "回答13") and lines[-3][:2] == ("seller", "问题12")
    assert lines[0][2].tzinfo is not None


def test_summary_question_is_the_one_before_asking_for_a_person():
    events = [user("代运营怎么收费", "ask_cost"), bot("……"), user("/request_human", "request_human")]
    assert question_of(events, "asked_for_person") == "代运营怎么收费"
    assert question_of([user("转人工", "request_human")], "asked_for_person") == "转人工"
    assert question_of(events[:1] + [user("我的号被封了", "report_urgent_issue")],
                       "urgent_topic") == "我的号被封了"
    assert question_of([], "repeated_fallback") is None


# ---- the NLU component ----

def classified(text, intent, ranking):
    message = Message({TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    UrgentTopicClassifier().process([message])
    return message


def test_component_sets_the_urgent_intent_and_keeps_the_ranking():
    message = classified("我的账户被封了怎么办", "ask_problem_handling",
                         [("ask_problem_handling", 0.6), ("ask_risk", 0.3)])
    assert message.get(INTENT) == {"name": URGENT_INTENT, "confidence": 1.0}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == [
        URGENT_INTENT, "ask_problem_handling", "ask_risk"]


def test_component_overrides_a_fallback_too():
    message = classified("listing被下架了!!", "nlu_fallback", [("nlu_fallback", 0.7)])
    assert message.get(INTENT)["name"] == URGENT_INTENT


def test_component_demotes_the_classifier_when_the_rules_read_a_question():
    message = classified("代运营会导致账户被封吗", URGENT_INTENT,
                         [(URGENT_INTENT, 0.5), ("ask_risk", 0.4)])
    assert message.get(INTENT)["name"] == "ask_risk"
    assert URGENT_INTENT not in [r["name"] for r in message.get(INTENT_RANKING_KEY)]


def test_component_renormalises_the_rest_when_it_demotes_the_classifier():
    # a near-certain urgent guess leaves crumbs: what is left is read as a distribution again
    message = classified("代运营会导致账户被封吗", URGENT_INTENT,
                         [(URGENT_INTENT, 0.99998), ("ask_risk", 0.000015), ("ask_cost", 0.000005)])
    assert message.get(INTENT)["name"] == "ask_risk"
    assert message.get(INTENT)["confidence"] == pytest.approx(0.75)
    assert sum(r["confidence"] for r in message.get(INTENT_RANKING_KEY)) == pytest.approx(1.0)


def test_component_leaves_other_messages_alone():
    message = classified("代运营怎么收费", "ask_cost", [("ask_cost", 0.9)])
    assert message.get(INTENT) == {"name": "ask_cost", "confidence": 0.9}
    # an urgency the classifier found without any named risk stays with the classifier
    message = classified("出大事了，店铺后台登不进去了", URGENT_INTENT, [(URGENT_INTENT, 0.8)])
    assert message.get(INTENT)["name"] == URGENT_INTENT
