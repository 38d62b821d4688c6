"""The staff console in a real headless Chromium (Debian's `chromium` via Playwright with
`executable_path`), against the assistant started as `make run` starts it: a seller in the
web widget asks for a person (the bot still answers while the ticket waits), staff take the
conversation over in /staff and hand it back.
Also the same hand-over for a WeChat seller, through the API: the replies go out through
WeChat's customer-service message API (faked on loopback).
"""
import re
from pathlib import Path

import pytest
import requests
import yaml
from playwright.sync_api import Page, expect

from tests.conftest import ROOT, STAFF_TOKEN
from tests.test_wechat_channel import SEND, WeChatServer, new_msg_id, new_openid, text_xml
from tests.test_web_widget import (
    REPLY_TIMEOUT_MS,
    ask,
    assert_shows_entry,
    last_bot,
    open_widget,
)

SCREENSHOT = ROOT / "reports" / "staff_console.png"
POLL_TIMEOUT_MS = 15_000  # the console polls every 3 s; the broker writes in the background
STAFF_NAME = "王敏"
XSS = "<script>alert(1)</script>"


def new_page(browser, width: int, height: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran in the page: {dialog.message}"))
    return page


@pytest.fixture
def seller(browser, assistant):
    page = new_page(browser, 1100, 820)
    yield page
    page.context.close()


@pytest.fixture
def console(browser, assistant):
    page = new_page(browser, 1440, 900)
    # everything the console loads comes from the web app itself
    foreign = []
    page.on("request", lambda r: foreign.append(r.url)
            if not r.url.startswith((assistant.web_url, "blob:", "data:")) else None)
    yield page
    page.context.close()
    assert not foreign, f"the console loaded from elsewhere: {foreign}"


def widget_state(page: Page) -> dict:
    return page.evaluate("JSON.parse(localStorage.getItem('seller-assistant'))")


def handoff_ticket(page: Page) -> int:
    customs = [m.get("custom") or {} for m in widget_state(page)["messages"]]
    return next(c["ticket_id"] for c in reversed(customs) if c.get("type") == "handoff")


def log_in(page: Page, web_url: str) -> None:
    page.goto(web_url + "/staff")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-token", "not-the-token")
    page.fill("#login-name", STAFF_NAME)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("口令无效")
    page.fill("#login-token", STAFF_TOKEN)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#who")).to_have_text("客服：" + STAFF_NAME)


def test_staff_take_over_a_conversation_and_hand_it_back(seller, console, assistant, kb):
    # the seller asks for a person in the widget
    open_widget(seller, assistant.web_url)
    ask(seller, "转人工")
    expect(last_bot(seller)).to_contain_text("工单号", timeout=REPLY_TIMEOUT_MS)
    ticket = handoff_ticket(seller)
    sender = widget_state(seller)["sessionId"]

    # staff log in and find it in the queue
    log_in(console, assistant.web_url)
    row = console.locator(f"#queue tr[data-ticket-id='{ticket}']")
    expect(row).to_be_visible(timeout=POLL_TIMEOUT_MS)
    expect(row).to_contain_text("待认领")
    expect(row).to_contain_text("网页助手")
    console.select_option("#f-channel", "wechat")  # a filter that excludes it
    expect(row).to_have_count(0, timeout=POLL_TIMEOUT_MS)
    console.select_option("#f-channel", "socketio")
    expect(row).to_be_visible(timeout=POLL_TIMEOUT_MS)

    # open it: transcript and facts; claim it
    row.click()
    detail = console.locator("#detail")
    expect(detail.locator("h2")).to_have_text(f"工单 #{ticket}")
    expect(detail.locator(".facts.meta")).to_contain_text(sender)
    expect(detail.locator(".facts.meta")).to_contain_text("卖家要求转人工")
    expect(detail.locator(".msg-seller .msg-text").last).to_have_text("转人工")

    # until staff claim it, the bot still answers; staff see the question and the answer
    ask(seller, "代运营怎么收费")
    assert_shows_entry(last_bot(seller), kb.entries["agency_cost"])
    expect(detail.locator(".msg-seller .msg-text").last).to_have_text(
        "代运营怎么收费", timeout=POLL_TIMEOUT_MS)
    expect(detail.locator(".msg-bot .msg-text").last).to_contain_text(
        kb.entries["agency_cost"].answer.split("\n\n")[0].strip(), timeout=POLL_TIMEOUT_MS)

    detail.get_by_role("button", name="认领").click()
    expect(detail.locator(".badge.status-claimed")).to_have_text("处理中")
    expect(row).to_contain_text(STAFF_NAME, timeout=POLL_TIMEOUT_MS)
    # the seller learns who took over
    expect(last_bot(seller)).to_contain_text(f"客服{STAFF_NAME}已接手", timeout=REPLY_TIMEOUT_MS)

    # staff reply; it reaches the seller's widget, labelled 客服
    reply = "您好，我是客服王敏。代运营的费用一般是基础服务费加销售额提成，我把报价单发您邮箱。"
    console.fill("#reply-text", reply)
    console.click("#reply-send")
    expect(detail.locator(".msg-staff .msg-text").last).to_have_text(reply)
    expect(console.locator("#reply-text")).to_have_value("")
    staff_bubble = seller.locator(".sa-from-staff").last
    expect(staff_bubble).to_contain_text(reply, timeout=REPLY_TIMEOUT_MS)
    expect(staff_bubble.locator(".sa-staff-label")).to_have_text("客服")

    # the seller writes back: it goes to the ticket, shown as text; the bot stays quiet
    bot_messages = seller.locator(".sa-bot").count()
    seller.fill(".sa-input", XSS)
    seller.press(".sa-input", "Enter")
    expect(seller.locator(".sa-user").last).to_have_text(XSS)
    expect(seller.locator(".sa-typing")).to_be_hidden()  # no bot reply is awaited
    expect(detail.locator(".msg-seller .msg-text").last).to_have_text(XSS, timeout=POLL_TIMEOUT_MS)
    assert console.locator("#detail script, #queue script").count() == 0
    assert seller.locator(".sa-bot").count() == bot_messages
    SCREENSHOT.parent.mkdir(exist_ok=True)
    console.screenshot(path=str(SCREENSHOT))

    # staff resolve: the seller is told, and the bot answers again
    detail.get_by_role("button", name="标记已解决并交还助手").click()
    expect(detail.locator(".badge.status-resolved")).to_have_text("已解决")
    expect(console.locator("#reply-send")).to_be_disabled()
    expect(last_bot(seller)).to_contain_text("客服已处理完毕", timeout=REPLY_TIMEOUT_MS)
    ask(seller, "代运营怎么收费")
    assert_shows_entry(last_bot(seller), kb.entries["agency_cost"])
    expect(row).to_have_count(0, timeout=POLL_TIMEOUT_MS)  # resolved: off the default queue

    # the ticket kept the whole exchange
    data = requests.get(f"{assistant.web_url}/api/tickets/{ticket}", timeout=10,
                        headers={"Authorization": f"Bearer {STAFF_TOKEN}"}).json()
    authors = [m["author"] for m in data["messages"]]
    assert authors.count("staff") == 1 and data["status"] == "resolved"
    assert [m["text"] for m in data["messages"] if m["author"] == "seller"][-1] == XSS
    log = assistant.log.read_text()
    assert STAFF_TOKEN not in log
    assert not re.search(r"token=(?!\*)", log), "Rasa's API token (a query parameter) was logged"


def test_feedback_reaches_the_review_page_and_exports_as_nlu(seller, console, assistant):
    open_widget(seller, assistant.web_url)
    question = "代运营怎么收费"
    ask(seller, question)
    answer = last_bot(seller)
    answer.locator(".sa-feedback-down").click()
    expect(answer.locator(".sa-feedback")).to_have_text("谢谢反馈")
    assert widget_state(seller)["messages"][-1]["feedback"] == "down"

    log_in(console, assistant.web_url)
    console.get_by_role("tab", name="待改进问题").click()
    row = console.locator("#review tbody tr", has_text=question)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("没帮助 1")
    row.locator(".review-intent").select_option("ask_cost")
    expect(row.locator(".review-pick")).to_be_checked()
    with console.expect_download() as download:
        console.click("#review-export")
    exported = Path(download.value.path()).read_text("utf-8")
    assert yaml.safe_load(exported) == {
        "version": "3.1", "nlu": [{"intent": "ask_cost", "examples": f"- {question}\n"}]}
    expect(console.locator("#export-preview")).to_contain_text(f"- {question}")

    console.get_by_role("tab", name="数据").click()
    charts = console.locator("#charts figure")
    expect(charts).to_have_count(4)
    expect(charts.first.locator("svg rect.bar").first).to_be_attached()
    expect(console.locator("#stats-totals")).to_contain_text("对话")
    assert console.locator("#charts svg").count() >= 4


def staff_api(assistant, method: str, path: str, body=None) -> requests.Response:
    return requests.request(method, assistant.web_url + path, json=body, timeout=30,
                            headers={"Authorization": f"Bearer {STAFF_TOKEN}"})


def wechat_answer(wechat: WeChatServer, api, openid: str, text: str) -> str:
    """The bot's answer: the passive reply, or (when the bot took longer than WeChat waits)
    the customer-service messages that followed `success`."""
    before = len(api.received(SEND, lambda r: r.json()["touser"] == openid))
    response = wechat.post(text_xml(openid, text, new_msg_id()))
    if response.text != "success":
        return wechat.reply(response)["Content"]
    sent = api.wait_for(SEND, where=lambda r: r.json()["touser"] == openid, count=before + 1)
    return "".join(r.json()["text"]["content"] for r in sent[before:])


def test_a_wechat_seller_gets_staff_replies_in_wechat(assistant, fake_wechat_api, kb):
    wechat, openid = WeChatServer(assistant.rasa_url), new_openid()
    assert "工单号" in wechat_answer(wechat, fake_wechat_api, openid, "转人工")
    [ticket] = [t for t in staff_api(assistant, "GET", "/api/tickets?channel=wechat").json()["tickets"]
                if t["sender_id"] == openid]

    def sent(text: str):
        return fake_wechat_api.wait_for(SEND, where=lambda r: r.json()["touser"] == openid
                                        and text in r.json()["text"]["content"])

    reply = "您好，我是客服王敏，您的问题我来跟进。"
    assert staff_api(assistant, "POST", f"/api/tickets/{ticket['id']}/reply",
                     {"staff": STAFF_NAME, "text": reply}).status_code == 200
    sent(reply)
    assert staff_api(assistant, "POST", f"/api/tickets/{ticket['id']}/resolve",
                     {"staff": STAFF_NAME}).status_code == 200
    sent("客服已处理完毕")
    answer = wechat_answer(wechat, fake_wechat_api, openid, "代运营怎么收费")
    assert kb.entries["agency_cost"].answer.split("\n\n")[0].strip() in answer
