"""The handoff actions offline: tracker fixtures, a real CollectingDispatcher, and the ticket
written to a temp SQLite database (DATABASE_URL)."""
import pytest
from rasa_sdk import Tracker

from actions.faq_actions import ActionAnswerQuestion, ActionDisambiguate, ActionOutOfScope
from actions.handoff import (
    FAILED,
    WAITING,
    ActionGreet,
    ActionHandoff,
    ActionSessionStart,
    asks_about_the_wait,
)
from support import db, store
from support.notify import new_ticket_message, post_new_ticket_to_slack
from tests.conftest import make_tracker
from tests.fake_platform_api import FakePlatformAPI


@pytest.fixture(autouse=True)
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'support.db'}"
    db.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("SLACK_STAFF_WEBHOOK_URL", raising=False)
    yield url
    db.engine_for(url).dispose()


@pytest.fixture
def slack():
    api = FakePlatformAPI({"/staff-webhook": {"ok": True}}).start()
    yield api
    api.stop()


def user(text, intent, at=1_700_000_000.0, channel="rest"):
    return {"event": "user", "text": text, "timestamp": at, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def bot(text, at=1_700_000_001.0):
    return {"event": "bot", "text": text, "timestamp": at}


def action(name):
    return {"event": "action", "name": name}


def tickets(url):
    with db.session_scope(url) as session:
        return [store.ticket_dict(t, with_messages=True) for t in store.list_tickets(session)]


def events_of(kind, url):
    from sqlalchemy import select

    from support.models import ConversationEvent

    with db.session_scope(url) as session:
        return [(e.kind, e.detail) for e in session.execute(
            select(ConversationEvent).where(ConversationEvent.kind == kind)).scalars()]


def test_asking_for_a_person_opens_a_ticket_and_the_bot_keeps_listening(database, dispatcher,
                                                                      domain):
    history = [user("代运营怎么收费", "ask_cost"), action("action_answer_question"),
               bot("代运营的费用……"), action("action_listen")]
    tracker = make_tracker("request_human", text="转人工", events=history,
                           slots={"question_type": "ask_cost"})
    events = ActionHandoff().run(dispatcher, tracker, domain)

    assert events == []  # paused only when staff claim the ticket (the web app)
    (ticket,) = tickets(database)
    assert ticket["sender_id"] == "seller-1" and ticket["status"] == "open"
    assert ticket["trigger"] == "asked_for_person" and ticket["urgency"] == "normal"
    assert ticket["category"] == "ask_cost"
    assert ticket["summary"] == "卖家要求转人工（费用）：“代运营怎么收费”"
    assert [(m["author"], m["text"]) for m in ticket["messages"]][:3] == [
        ("seller", "代运营怎么收费"), ("bot", "代运营的费用……"), ("seller", "转人工")]
    (message,) = dispatcher.messages
    assert ticket["messages"][-1] == {**ticket["messages"][-1], "author": "bot",
                                      "text": message["text"]}
    assert f"#{ticket['id']}" in message["text"] and "人工客服" in message["text"]
    assert "转给客服" in message["text"] and "仍可以继续问我" in message["text"]
    assert message["custom"] == {"type": "handoff", "ticket_id": ticket["id"],
                                 "urgency": "normal", "trigger": "asked_for_person",
                                 "status": "open"}
    assert events_of("handoff", database) == [("handoff", "asked_for_person")]


def test_questions_while_the_ticket_waits_are_about_the_mode_the_handoff_named(
        database, dispatcher, domain):
    tracker = make_tracker("report_urgent_issue", ["agency"], text="代运营广告花超了好多")
    events = ActionHandoff().run(dispatcher, tracker, domain)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "context_modes": ["agency"], "mode": "agency"}


def test_an_urgent_incident_is_an_urgent_ticket(database, dispatcher, domain):
    tracker = make_tracker("report_urgent_issue", text="我的账户被封了怎么办")
    ActionHandoff().run(dispatcher, tracker, domain)
    (ticket,) = tickets(database)
    assert (ticket["trigger"], ticket["urgency"], ticket["category"]) == (
        "urgent_topic", "urgent", "ask_risk")
    assert ticket["summary"] == "紧急·账户被封：“我的账户被封了怎么办”"
    text = dispatcher.messages[0]["text"]
    assert "账户被封" in text and "紧急" in text and "优先处理" in text


def test_the_seller_profile_and_recommendation_go_with_the_ticket(database, dispatcher, domain):
    recommendation = {"type": "recommendation", "mode": "agency", "scores": {"agency": 6}}
    tracker = make_tracker("request_human", text="找真人聊聊", slots={
        "daily_orders": 20, "local_team": False, "marketplaces": ["US"],
        "recommendation": recommendation},
        events=[user("帮我推荐", "ask_recommendation"), user("日均二十单", "inform")])
    ActionHandoff().run(dispatcher, tracker, domain)
    (ticket,) = tickets(database)
    assert ticket["profile"] == {"daily_orders": 20, "local_team": False, "marketplaces": ["US"]}
    assert ticket["recommendation"] == recommendation
    assert ticket["category"] == "recommendation"


def test_an_open_ticket_is_not_opened_twice(database, dispatcher, domain):
    ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    dispatcher.messages.clear()
    events = ActionHandoff().run(dispatcher, make_tracker("request_human", text="人工"), domain)
    (ticket,) = tickets(database)
    assert f"已在人工处理中（工单号 #{ticket['id']}）" in dispatcher.messages[0]["text"]
    assert ticket["messages"][-1]["text"] == dispatcher.messages[0]["text"]
    assert events == []
    assert len(events_of("handoff", database)) == 1


def test_without_a_database_the_bot_says_so_and_keeps_answering(tmp_path, monkeypatch,
                                                                 dispatcher, domain):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    events = ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    assert events == [] and dispatcher.messages[0]["text"] == FAILED


def test_a_new_ticket_is_posted_to_the_staff_slack_channel(database, slack, monkeypatch,
                                                           dispatcher, domain):
    monkeypatch.setenv("SLACK_STAFF_WEBHOOK_URL", f"{slack.url}/staff-webhook")
    ActionHandoff().run(dispatcher, make_tracker(
        "report_urgent_issue", text="刚收到侵权投诉 <!channel>"), domain)
    (request,) = slack.wait_for("/staff-webhook", timeout=10)
    body = request.json()
    (ticket,) = tickets(database)
    assert f"新工单 #{ticket['id']}" in body["text"] and "紧急" in body["text"]
    assert "<!channel>" not in str(body) and "&lt;!channel&gt;" in body["blocks"][0]["text"]["text"]


def test_slack_errors_are_swallowed(slack):
    ticket = {"id": 1, "urgency": "normal", "category": "general", "summary": "x",
              "channel": "rest", "sender_id": "s"}
    assert post_new_ticket_to_slack(ticket, f"{slack.url}/staff-webhook") is True
    assert post_new_ticket_to_slack(ticket, f"{slack.url}/no-such-hook") is False
    assert post_new_ticket_to_slack(ticket, "http://127.0.0.1:9/unreachable") is False
    assert post_new_ticket_to_slack(ticket, None) is False
    assert new_ticket_message(ticket)["text"].startswith("🔵 新工单 #1（普通·其他）")


# ---- the repeated-fallback rule ----

RANKING = [{"name": "ask_cost", "confidence": 0.25}, {"name": "ask_risk", "confidence": 0.24}]


def test_a_first_fallback_offers_candidates(database, dispatcher, domain):
    tracker = make_tracker("nlu_fallback", text="这个费用风险咋样", ranking=RANKING)
    assert ActionDisambiguate().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages[0]["text"].startswith("您是想问")
    assert tickets(database) == []


def test_a_second_fallback_in_a_row_hands_off(database, dispatcher, domain):
    history = [user("asdf 啥玩意", "nlu_fallback"), action("action_disambiguate"),
               bot("您是想问……"), action("action_listen")]
    tracker = make_tracker("nlu_fallback", text="qwer 那个东西", ranking=RANKING,
                           events=history)
    events = ActionDisambiguate().run(dispatcher, tracker, domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "action_handoff"}]
    assert dispatcher.messages == []

    ActionHandoff().run(dispatcher, tracker, domain)  # what Rasa runs next
    (ticket,) = tickets(database)
    assert ticket["trigger"] == "repeated_fallback" and ticket["urgency"] == "normal"
    assert ticket["summary"] == "连续两次未能理解：“qwer 那个东西”"
    assert "没能理解" in dispatcher.messages[0]["text"]


def test_two_unreadable_details_outside_the_questionnaire_hand_off(dispatcher, domain):
    # `嗯` read as inform outside the form: action_take_profile_information found nothing,
    # so the rule's disambiguation answered it; the same again is the second in a row
    history = [user("嗯", "inform"), action("action_take_profile_information"),
               action("action_disambiguate"), bot("您是想问……"), action("action_listen")]
    tracker = make_tracker("inform", text="xyz abc", ranking=RANKING, events=history)
    events = ActionDisambiguate().run(dispatcher, tracker, domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "action_handoff"}]


def test_none_of_the_candidates_then_another_fallback_hands_off(dispatcher, domain):
    history = [user("asdf 啥玩意", "nlu_fallback"), action("action_disambiguate"),
               action("action_listen"), user("都不是", "deny"), action("utter_rephrase"),
               action("action_listen")]
    tracker = make_tracker("nlu_fallback", text="qwer 那个东西", ranking=RANKING,
                           events=history)
    events = ActionDisambiguate().run(dispatcher, tracker, domain)
    assert events[0]["name"] == "action_handoff"


def assert_passed_on_to_staff(dispatcher, ticket):
    (message,) = dispatcher.messages
    assert message["text"] == WAITING.format(id=ticket["id"])
    assert message["custom"] == {"type": "handoff_waiting", "ticket_id": ticket["id"]}


def test_while_the_ticket_waits_what_the_bot_cannot_place_is_passed_to_staff(
        database, dispatcher, domain):
    ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    (ticket,) = tickets(database)
    dispatcher.messages.clear()
    history = [user("转人工", "request_human"), action("action_handoff"), action("action_listen"),
               user("asdf 啥玩意", "nlu_fallback"), action("action_disambiguate"),
               action("action_listen")]
    tracker = make_tracker("nlu_fallback", text="订单号 113-2234 帮我查下", ranking=RANKING,
                           events=history)
    # not the candidates, and not a second handoff for two fallbacks in a row
    assert ActionDisambiguate().run(dispatcher, tracker, domain) == []
    assert_passed_on_to_staff(dispatcher, ticket)

    with db.session_scope(database) as session:
        store.resolve(session, ticket["id"], "王敏")
    dispatcher.messages.clear()
    ActionDisambiguate().run(dispatcher, make_tracker("nlu_fallback", text="这个费用风险咋样",
                                                      ranking=RANKING), domain)
    assert dispatcher.messages[0]["text"].startswith("您是想问")


@pytest.mark.parametrize("action, intent, text, response", [
    (ActionGreet(), "greet", "在吗", "utter_greet"),
    (ActionOutOfScope(), "out_of_scope", "订单号 113-2234", "utter_out_of_scope"),
])
def test_small_talk_while_the_ticket_waits_is_acknowledged_as_passed_on(
        database, dispatcher, domain, action, intent, text, response):
    assert action.run(dispatcher, make_tracker(intent, text=text), domain) == []
    assert dispatcher.messages[0]["response"] == response  # no ticket: the usual response

    ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    (ticket,) = tickets(database)
    dispatcher.messages.clear()
    action.run(dispatcher, make_tracker(intent, text=text), domain)
    assert_passed_on_to_staff(dispatcher, ticket)

    with db.session_scope(database) as session:
        store.claim(session, ticket["id"], "王敏")
    dispatcher.messages.clear()
    action.run(dispatcher, make_tracker(intent, text=text), domain)
    assert dispatcher.messages[0]["response"] == response  # (paused by then in Rasa)


def test_an_off_topic_message_naming_a_mode_puts_the_conversation_on_it(dispatcher, domain):
    # `要不要找个代运营` read as off-topic: the next question (`怎么挑服务商`) is about 代运营
    tracker = make_tracker("out_of_scope", ["agency"], text="开欧洲五国 VAT搞得头大 要不要找个代运营")
    events = ActionOutOfScope().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert {e["name"]: e["value"] for e in events} == {"context_modes": ["agency"], "mode": "agency"}


@pytest.mark.parametrize("text, about_the_wait", [
    ("客服大概多久能回复", True), ("还要等多久啊", True), ("人工怎么还没来", True),
    ("今天什么时候能处理好", True), ("大概多久能處理", True), ("還要排隊嗎", True),
    ("多久能看到效果", False), ("代运营多久能回本", False), ("开通要多久", False),
    ("从签约到接手一般多久", False), ("什么时候来得及报名", False), ("多久能交接完", False),
])
def test_what_asks_about_the_wait_for_staff(text, about_the_wait):
    assert asks_about_the_wait(text) is about_the_wait


def test_asking_about_the_wait_while_the_ticket_waits_is_not_an_faq(database, dispatcher, domain):
    ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    (ticket,) = tickets(database)
    dispatcher.messages.clear()
    # the NLU reads `多久` as a question about results
    ActionAnswerQuestion().run(dispatcher, make_tracker("ask_effect", text="还要等多久啊"), domain)
    assert_passed_on_to_staff(dispatcher, ticket)

    dispatcher.messages.clear()
    ActionAnswerQuestion().run(
        dispatcher, make_tracker("ask_effect", ["agency"], text="代运营多久能看到效果"), domain)
    assert dispatcher.messages[0]["custom"]["type"] == "answer"  # FAQs are still answered


def slots_set(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_question_passed_to_staff_keeps_the_mode_it_named(database, dispatcher, domain):
    ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    (ticket,) = tickets(database)
    dispatcher.messages.clear()
    tracker = make_tracker("nlu_fallback", ["co_marketing"], text="等的时候问下，联合营销要品牌注册吗",
                           ranking=RANKING)
    events = ActionDisambiguate().run(dispatcher, tracker, domain)
    assert_passed_on_to_staff(dispatcher, ticket)
    # `那我没有R标是不是就做不了` next is about 联合营销
    assert slots_set(events) == {"context_modes": ["co_marketing"], "mode": "co_marketing"}


def test_a_statement_the_classifier_is_unsure_of_while_the_ticket_waits_is_for_staff(
        database, dispatcher, domain):
    def answer(intent, text, confidence):
        dispatcher.messages.clear()
        tracker = make_tracker(intent, ["co_marketing"], text=text)
        tracker.latest_message["intent"]["confidence"] = confidence
        return ActionAnswerQuestion().run(dispatcher, tracker, domain)

    incident_detail = "可能跟之前一起搞联合营销的那个品牌有关，他们用了我们的图"
    answer("ask_combine", incident_detail, 0.57)
    assert dispatcher.messages[0]["custom"]["type"] == "answer"  # no ticket: answered

    ActionHandoff().run(dispatcher, make_tracker("report_urgent_issue", text="Listing被侵权投诉下架了"),
                        domain)
    (ticket,) = tickets(database)
    events = answer("ask_combine", incident_detail, 0.57)
    assert_passed_on_to_staff(dispatcher, ticket)
    assert slots_set(events) == {"context_modes": ["co_marketing"], "mode": "co_marketing"}

    # a question, or a statement the classifier is sure of, still gets the answer
    for text, confidence in [("联合营销有啥风险", 0.57), ("联合营销的风险", 0.99)]:
        answer("ask_risk", text, confidence)
        assert dispatcher.messages[0]["custom"]["id"] == "co_marketing_risk"


def test_an_empty_message_is_never_a_handoff(dispatcher, domain):
    history = [user("asdf 啥玩意", "nlu_fallback"), action("action_disambiguate"),
               action("action_listen")]
    tracker = make_tracker("nlu_fallback", text="🙂", events=history)
    assert ActionDisambiguate().run(dispatcher, tracker, domain) == []
    assert "没有看到文字内容" in dispatcher.messages[0]["text"]


# ---- a new session while a person holds the conversation ----

def session_tracker(sender):
    return Tracker(sender_id=sender, slots={"mode": "agency", "question_type": "ask_cost",
                                            "requested_slot": "daily_orders", "goal": None},
                   latest_message={}, events=[], paused=False, followup_action=None,
                   active_loop={}, latest_action_name="action_listen")


def test_a_new_session_stays_paused_while_staff_hold_the_ticket(database, dispatcher, domain):
    ActionHandoff().run(dispatcher, make_tracker("request_human", text="转人工"), domain)
    (ticket,) = tickets(database)
    events = ActionSessionStart().run(dispatcher, session_tracker("seller-1"), domain)
    assert "pause" not in [e["event"] for e in events]  # waiting for staff: the bot answers

    with db.session_scope(database) as session:
        store.claim(session, ticket["id"], "王敏")
    events = ActionSessionStart().run(dispatcher, session_tracker("seller-1"), domain)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started" and kinds[-1] == "action"
    assert "pause" in kinds
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "mode": "agency", "question_type": "ask_cost"}

    with db.session_scope(database) as session:
        store.resolve(session, ticket["id"], "王敏")
    events = ActionSessionStart().run(dispatcher, session_tracker("seller-1"), domain)
    assert "pause" not in [e["event"] for e in events]


def test_a_new_session_starts_normally_without_a_database(tmp_path, monkeypatch,
                                                          dispatcher, domain):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    events = ActionSessionStart().run(dispatcher, session_tracker("s"), domain)
    assert [e["event"] for e in events if e["event"] != "slot"] == ["session_started", "action"]
