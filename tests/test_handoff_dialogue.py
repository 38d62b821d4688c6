"""Handoff through the REST channel against the running assistant (Rasa, action server,
event broker, web app as `make run` starts them), the tickets read back from its database.
The bot answers while the ticket waits for staff, and is quiet from their claim (through the
web app's API) until they resolve it: a fresh seller per test."""
import time

import pytest
import requests

from support import db, store
from tests.conftest import STAFF_TOKEN, Seller, customs, texts

# Vague or garbled messages. Which of them the trained model can't place changes with every
# training, so the test first finds the ones that get the fallback's "您是想问……".
VAGUE = ("对了上次那个", "随便问问", "阿斯顿发送到发", "你们那边怎么说", "这个那个咋弄的呀",
         "那个什么来着", "好吧", "嗯", "啦啦啦", "xyz abc", "那个咋整", "啊这", "谁", "这个咋弄",
         "那咋整呢", "这个谁弄", "咋弄那个", "谁来弄这个", "咋搞", "咋整啊", "咋个搞", "这咋搞")


@pytest.fixture
def seller(assistant):
    return Seller(assistant.rasa_url)


def handoff_of(messages):
    (handoff,) = customs(messages, "handoff")
    return handoff


def ticket(assistant, ticket_id, until=lambda t: True, timeout_s=10):
    """The ticket as a dict, once `until` holds (the event broker writes in the background)."""
    deadline = time.time() + timeout_s
    while True:
        with db.session_scope(assistant.database_url) as session:
            found = store.get_ticket(session, ticket_id)
            data = store.ticket_dict(found, with_messages=True) if found else None
        if (data and until(data)) or time.time() > deadline:
            return data
        time.sleep(0.2)


def test_asking_for_a_person_opens_a_ticket_and_tells_staff(assistant, seller, fake_slack_api):
    seller.say("代运营怎么收费")
    messages = seller.say("转人工")
    handoff = handoff_of(messages)
    reply = texts(messages)
    assert f"工单号：#{handoff['ticket_id']}" in reply and "人工客服" in reply
    assert "仍可以继续问我" in reply

    data = ticket(assistant, handoff["ticket_id"])
    assert data["sender_id"] == seller.sender and data["channel"] == "rest"
    assert (data["status"], data["trigger"], data["urgency"]) == ("open", "asked_for_person",
                                                                   "normal")
    assert data["category"] == "ask_cost" and "代运营怎么收费" in data["summary"]
    assert [m["text"] for m in data["messages"] if m["author"] == "seller"] == [
        "代运营怎么收费", "转人工"]

    posted = fake_slack_api.wait_for(
        "/staff-webhook", where=lambda r: f"#{handoff['ticket_id']}" in r.json()["text"],
        timeout=10)
    assert posted, "the staff channel got the new ticket"


def staff_call(assistant, ticket_id, action, **body):
    response = requests.post(f"{assistant.web_url}/api/tickets/{ticket_id}/{action}",
                             json={"staff": "王敏", **body}, timeout=15,
                             headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_bot_answers_while_the_ticket_waits_and_is_quiet_once_staff_claim_it(
        assistant, seller):
    vague, _ = unintelligible(assistant)
    ticket_id = handoff_of(seller.say("找客服"))["ticket_id"]

    # waiting for staff: questions are answered, the rest is passed on, all of it in the ticket
    answered = seller.say("代运营怎么收费")
    assert customs(answered, "answer") or customs(answered, "clarification")
    (waiting,) = customs(seller.say(vague), "handoff_waiting")
    assert waiting["ticket_id"] == ticket_id
    assert customs(seller.say("在吗"), "handoff_waiting")  # not the greeting menu
    assert customs(seller.say("转人工"), "handoff")[0]["ticket_id"] == ticket_id  # not a second

    claimed = staff_call(assistant, ticket_id, "claim")
    assert claimed["status"] == "claimed"
    assert seller.say("代运营怎么收费") == []
    assert seller.say("还在吗") == []
    data = ticket(assistant, ticket_id,
                  until=lambda t: [m["text"] for m in t["messages"]][-1:] == ["还在吗"])
    seller_lines = [m["text"] for m in data["messages"] if m["author"] == "seller"]
    # added by the event broker (Rasa's endpoints need `event_broker:`); the first one once only
    assert seller_lines == ["找客服", "代运营怎么收费", vague, "在吗", "转人工", "代运营怎么收费",
                            "还在吗"]
    bot_lines = [m["text"] for m in data["messages"] if m["author"] == "bot"]
    assert [m["text"].strip() for m in answered if m.get("text")][0] in bot_lines
    assert "已接手" in bot_lines[-1]

    staff_call(assistant, ticket_id, "resolve")
    assert customs(seller.say("代运营怎么收费"), "answer")


def test_an_urgent_incident_goes_to_a_person_at_once(assistant, seller):
    messages = seller.say("我的账户被封了怎么办")
    handoff = handoff_of(messages)
    assert handoff["urgency"] == "urgent" and handoff["trigger"] == "urgent_topic"
    assert "账户被封" in texts(messages)
    data = ticket(assistant, handoff["ticket_id"])
    assert (data["urgency"], data["category"]) == ("urgent", "ask_risk")
    assert data["summary"] == "紧急·账户被封：“我的账户被封了怎么办”"


def test_a_question_about_the_risk_is_still_answered(assistant, seller):
    messages = seller.say("代运营会导致账户被封吗")
    assert customs(messages, "handoff") == []
    assert customs(messages, "answer") or customs(messages, "clarification")
    with db.session_scope(assistant.database_url) as session:
        assert store.open_ticket_for(session, seller.sender) is None


def unintelligible(assistant):
    """Two messages that fall back (the same one twice if only one does), each tried first
    by a seller of its own."""
    found = [text for text in VAGUE
             if customs(Seller(assistant.rasa_url).say(text), "disambiguation")]
    assert found, "none of VAGUE falls back with this model: add vaguer messages"
    return found[0], found[1 % len(found)]


def test_two_unintelligible_messages_in_a_row_go_to_a_person(assistant, seller):
    first, second = unintelligible(assistant)
    reply = seller.say(first)
    assert customs(reply, "disambiguation") and not customs(reply, "handoff")
    handoff = handoff_of(seller.say(second))
    assert handoff["trigger"] == "repeated_fallback"
    data = ticket(assistant, handoff["ticket_id"])
    assert data["summary"] == f"连续两次未能理解：“{second}”"
