"""The Slack channel: blocks built from the actions' messages (pure), and the running
assistant answering signed Slack requests through a fake Slack Web API on loopback."""
import hashlib
import hmac
import json
import time
import uuid
from typing import Dict, List, Optional
from urllib.parse import urlencode

import pytest
import requests

from actions.answer_messages import (
    NO_CONTENT_MESSAGE,
    answer_message,
    clarification_message,
    comparison_message,
    disambiguation_message,
    payload,
)
from actions.recommendation_engine import load_criteria, recommend
from actions.recommendation_messages import recommendation_message
from channels.config import SLACK, channel_credentials
from channels.slack_blocks import (
    MAX_ACTIONS_ELEMENTS,
    MAX_BLOCKS,
    MAX_BUTTON_CHARS,
    MAX_TEXT_CHARS,
    escape,
    slack_message,
)
from tests.conftest import SLACK_CHANNEL, SLACK_SIGNING_SECRET, SLACK_TOKEN

POST = "/api/chat.postMessage"
AGENCY_COST = "每月8,000–30,000元"
AGENCY_COST_SOURCE = "来源：艾瑞咨询《2024年中国跨境电商代运营市场报告》"
BOT_USER = "UBOT0000"
COMPARISON_HEADER = "联合营销 vs 代运营 vs 亚马逊联合运营 对比"


# ---- helpers ----
def kinds(blocks: List[Dict]) -> List[str]:
    return [b["type"] for b in blocks]


def block_texts(blocks: List[Dict], kind: Optional[str] = None) -> str:
    """All text the blocks show (of one block type if given)."""
    out = []
    for block in blocks:
        if kind and block["type"] != kind:
            continue
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        if block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return "\n".join(out)


def buttons_of(blocks: List[Dict]) -> List[Dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def assert_within_slack_limits(message: Dict) -> None:
    blocks = message["blocks"]
    assert 0 < len(blocks) <= MAX_BLOCKS and message["text"]
    for block in blocks:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= MAX_TEXT_CHARS
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
            assert len(block.get("fields", [])) <= 10
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
        if block["type"] == "actions":
            assert 0 < len(block["elements"]) <= MAX_ACTIONS_ELEMENTS
    action_ids = [b["action_id"] for b in buttons_of(blocks)]
    assert len(action_ids) == len(set(action_ids))
    assert all(0 < len(b["text"]["text"]) <= MAX_BUTTON_CHARS for b in buttons_of(blocks))


# ---- blocks, from the actions' own message builders ----
def test_an_answer_is_sections_then_sources_as_context_then_buttons(kb):
    message = answer_message(kb, kb.resolve("ask_cost", "agency"))
    slack = slack_message(message)
    assert_within_slack_limits(slack)
    blocks = slack["blocks"]
    assert kinds(blocks) == ["section", "context", "actions"]
    assert AGENCY_COST in block_texts(blocks, "section")
    assert "来源" not in block_texts(blocks, "section")  # not repeated above the context
    context = block_texts(blocks, "context")
    assert AGENCY_COST_SOURCE in context and "《亚马逊联合营销与代运营的区别》（2026-01-16）" in context
    assert "章节：定义与核心机制" in context
    assert [(b["text"]["text"], b["value"]) for b in buttons_of(blocks)] == [
        (b["title"], b["payload"]) for b in message["buttons"]
    ]
    assert AGENCY_COST in slack["text"]  # the notification fallback


def test_an_answer_with_a_note_keeps_the_note(kb):
    resolved = kb.resolve("ask_cost", "co_marketing")
    assert resolved.note
    sections = block_texts(slack_message(answer_message(kb, resolved))["blocks"], "section")
    assert sections.startswith(escape(resolved.note))


def test_a_comparison_is_a_header_and_a_row_per_dimension_with_a_field_per_mode(kb):
    modes = ["co_marketing", "agency", "amazon_coop"]
    message = comparison_message(kb, modes)
    slack = slack_message(message)
    assert_within_slack_limits(slack)
    blocks, rows = slack["blocks"], message["custom"]["rows"]
    assert kinds(blocks) == ["header"] + ["section"] * len(rows) + ["context", "actions"]
    assert blocks[0]["text"]["text"] == COMPARISON_HEADER
    for block, row in zip(blocks[1:], rows):
        assert block["text"]["text"] == f"*{row['label']}*"
        assert [f["text"] for f in block["fields"]] == [
            f"*{kb.mode_name(m)}*\n{escape(row['cells'][m])}" for m in modes
        ]
    assert "【" not in block_texts(blocks)  # not the long text list
    assert block_texts(blocks, "context") == "来源：" + "；".join(message["custom"]["sources"])
    assert len(buttons_of(blocks)) == len(message["buttons"])


def test_a_recommendation_is_a_header_reasons_runner_up_warning_and_buttons():
    criteria = load_criteria()
    profile = {"daily_orders": 10, "local_team": False, "marketplaces": ["AE"], "brand_registered": False}
    message = recommendation_message(recommend(profile, criteria), profile, criteria)
    custom = message["custom"]
    slack = slack_message(message)
    assert_within_slack_limits(slack)
    blocks = slack["blocks"]
    assert kinds(blocks) == ["header", "section", "section", "section", "actions"]
    assert blocks[0]["text"]["text"] == "推荐模式：代运营"
    reasons = blocks[1]["text"]["text"]
    assert reasons.startswith("*理由*\n1. ")
    for reason in custom["reasons"]:
        assert escape(reason["text"]) in reasons and escape(reason["source"]) in reasons
    assert blocks[2]["text"]["text"].startswith("*次选*\n自主运营（")
    assert blocks[3]["text"]["text"] == f"*⚠️ 注意*\n{escape(custom['warning'])}"
    assert [b["value"] for b in buttons_of(blocks)] == [b["payload"] for b in message["buttons"]]
    # without the text's lines, the runner-up comes from the payload
    runner_up = {"mode": "amazon_coop", "mode_name": "亚马逊联合运营", "why_not": ["年销售额<100万美元"]}
    blocks = slack_message({"text": "", "custom": {**custom, "runner_up": runner_up}})["blocks"]
    assert blocks[2]["text"]["text"] == "*次选*\n亚马逊联合运营——年销售额&lt;100万美元"


def test_a_recommendation_given_early_says_what_could_still_change_it():
    criteria = load_criteria()
    profile = {"daily_orders": 80, "annual_sales_usd": 1_500_000, "brand_registered": True,
               "marketplaces": ["JP"], "local_team": True, "account_type": "seller_central",
               "budget_usd": 20_000}
    message = recommendation_message(recommend(profile, criteria), profile, criteria)
    assert message["custom"]["still_open"]
    blocks = slack_message(message)["blocks"]
    assert kinds(blocks)[-2:] == ["section", "actions"]
    assert blocks[-2]["text"]["text"].startswith(
        "还可能改变推荐的：" + "、".join(message["custom"]["still_open"]))


def test_clarification_and_disambiguation_are_text_and_buttons(kb):
    clarification = clarification_message(kb, "ask_cost", ["agency", "amazon_coop"])
    disambiguation = disambiguation_message(kb, [("ask_cost", "agency"), ("ask_risk", "agency")])
    for message in (clarification, disambiguation):
        blocks = slack_message(message)["blocks"]
        assert kinds(blocks) == ["section", "actions"]
        assert blocks[0]["text"]["text"] == escape(message["text"])
        assert [b["value"] for b in buttons_of(blocks)] == [b["payload"] for b in message["buttons"]]


@pytest.mark.parametrize(
    "custom",
    [None, {"type": "something_new"}, {"type": "comparison", "modes": ["agency"]},
     {"type": "recommendation"}, {"type": "answer", "sources": "not a list"}, "not a dict"],
)
def test_unknown_missing_or_malformed_custom_is_text_and_buttons(custom):
    message = {**NO_CONTENT_MESSAGE, "custom": custom}
    blocks = slack_message(message)["blocks"]
    assert kinds(blocks) == ["section", "actions"]
    assert blocks[0]["text"]["text"] == NO_CONTENT_MESSAGE["text"]


def test_seller_visible_text_is_escaped_so_it_cannot_mention_or_link():
    slack = slack_message({"text": "<!channel> <@U123> A&B <https://x.test|点我>"})
    expected = "&lt;!channel&gt; &lt;@U123&gt; A&amp;B &lt;https://x.test|点我&gt;"
    assert slack["blocks"][0]["text"]["text"] == expected and slack["text"] == expected


def test_long_text_many_buttons_and_long_titles_stay_within_slack_limits():
    paragraph = "亚马逊&代运营<说明>" * 40  # 400 characters, 640 once escaped
    text = "\n\n".join([paragraph] * 30) + "\n\n" + "长" * 7000  # paragraphs, then one very long
    buttons = [{"title": f"按钮{i}" + "很长的标题" * 20, "payload": f"/choose_mode{{\"n\": {i}}}"}
               for i in range(60)]
    slack = slack_message({"text": text, "buttons": buttons})
    assert_within_slack_limits(slack)
    sections = [b["text"]["text"] for b in slack["blocks"] if b["type"] == "section"]
    # nothing lost or cut inside an escape: the pieces put together are the escaped text
    assert "".join(sections).replace("\n", "") == escape(text).replace("\n", "")
    assert all(s.count("&") == s.count("&amp;") + s.count("&lt;") + s.count("&gt;") for s in sections)
    assert [len(b["elements"]) for b in slack["blocks"] if b["type"] == "actions"] == [25, 25, 10]
    assert buttons_of(slack["blocks"])[0]["text"]["text"].endswith("…")
    assert [b["value"] for b in buttons_of(slack["blocks"])] == [b["payload"] for b in buttons]


def test_a_message_longer_than_fifty_blocks_is_cut_keeping_its_buttons():
    text = "\n\n".join(["段落" * 1400] * 60)  # 60 sections of 2800 characters
    slack = slack_message({"text": text, "buttons": [{"title": "重新开始", "payload": "/restart"}]})
    assert_within_slack_limits(slack)
    assert len(slack["blocks"]) == MAX_BLOCKS
    assert kinds(slack["blocks"])[-2:] == ["section", "actions"]
    assert "已省略" in slack["blocks"][-2]["text"]["text"]
    assert len(slack["text"]) <= 3000


def test_nothing_to_show_posts_nothing():
    assert slack_message({"text": "", "buttons": []}) is None
    assert slack_message({"text": None, "custom": {"type": "unknown"}}) is None


# ---- configuration ----
def test_slack_is_on_only_when_its_variables_are_set():
    assert SLACK not in channel_credentials({})
    assert SLACK not in channel_credentials({"SLACK_TOKEN": "xoxb-1"})
    credentials = channel_credentials({"SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert credentials[SLACK] == {
        "slack_token": "xoxb-1", "slack_signing_secret": "s", "slack_channel": None, "api_url": None,
    }


def test_the_channel_posts_to_the_configured_api_url():
    from channels.slack import SlackChannel

    env = {"SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_CHANNEL": "C1",
           "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    channel = SlackChannel.from_credentials(channel_credentials(env)[SLACK])
    assert channel.name() == "slack" and channel.slack_channel == "C1"
    assert channel.get_output_channel("D1").client.base_url == "http://127.0.0.1:9/api/"
    env.pop("SLACK_API_URL")
    channel = SlackChannel.from_credentials(channel_credentials(env)[SLACK])
    assert channel.get_output_channel("D1").client.base_url == "https://slack.com/api/"



def test_a_message_without_a_channel_goes_to_the_seller_not_the_shared_channel():
    from channels.slack import SlackChannel

    env = {"SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_CHANNEL": "C1"}
    channel = SlackChannel.from_credentials(channel_credentials(env)[SLACK])
    assert channel.get_output_channel().slack_channel is None  # posts to the recipient id
    assert channel.get_output_channel("D1").slack_channel == "D1"

def test_seen_ids_are_bounded_and_forgotten():
    from channels.slack import SeenIds

    seen = SeenIds(ttl_s=0.2, size=3)
    assert seen.first_time(["a"]) and not seen.first_time(["a"])
    assert not seen.first_time(["b", "a"]) and not seen.first_time(["b"])
    for key in "cde":
        assert seen.first_time([key])
    assert seen.first_time(["a"])  # pushed out by size
    time.sleep(0.3)
    assert seen.first_time(["e"])  # forgotten after the time limit


# ---- the running assistant ----
def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:10].upper()


def signed(url: str, body: bytes, content_type: str, timestamp: Optional[int] = None,
           secret: str = SLACK_SIGNING_SECRET, headers: Optional[Dict] = None) -> requests.Response:
    """POST `body` as Slack sends it: HMAC-SHA256 of `v0:timestamp:body`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return requests.post(url, data=body, timeout=10, headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}", **(headers or {}),
    })


def message_event(text: str, channel: str, user: str, **event) -> Dict:
    return {
        "token": "unused", "team_id": "T0SELLERS", "api_app_id": "A0FAQ",
        "type": "event_callback", "event_id": new_id("Ev"), "event_time": int(time.time()),
        "authorizations": [{"user_id": BOT_USER, "is_bot": True}],
        "event": {"type": "message", "channel_type": "im", "channel": channel, "user": user,
                  "text": text, "ts": f"{time.time():.6f}", **event},
    }


def as_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def click_body(value: str, channel: str, user: str) -> bytes:
    payload = {
        "type": "block_actions", "trigger_id": new_id("trigger"),
        "user": {"id": user, "username": "seller"}, "team": {"id": "T0SELLERS"},
        "channel": {"id": channel, "name": "directmessage"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel},
        "message": {"type": "message", "ts": "1700000000.000100", "bot_id": "B0FAQ"},
        "actions": [{"type": "button", "action_id": "button_0", "block_id": "b1",
                     "text": {"type": "plain_text", "text": "按钮"}, "value": value,
                     "action_ts": f"{time.time():.6f}"}],
    }
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()


@pytest.fixture(scope="module")
def webhook(assistant) -> str:
    return f"{assistant.rasa_url}/webhooks/slack/webhook"


def in_channel(channel: str):
    return lambda r: r.json().get("channel") == channel


def posts_with(fake, channel: str, text: str, count: int = 1) -> List[Dict]:
    """The posts to `channel` showing `text`, once `count` have arrived."""
    def showing(r) -> bool:
        return in_channel(channel)(r) and text in json.dumps(r.json(), ensure_ascii=False)
    return [r.json() for r in fake.wait_for(POST, where=showing, count=count, timeout=30)]


def test_a_direct_message_is_answered_in_one_post_with_blocks_and_a_button_click_too(
    webhook, fake_slack_api, kb
):
    channel, user = new_id("D"), new_id("U")
    reply = signed(webhook, as_json(message_event("代运营怎么收费", channel, user)), "application/json")
    assert reply.status_code == 200, reply.text

    (post,) = fake_slack_api.wait_for(POST, where=in_channel(channel))
    assert post.headers["Content-Type"].startswith("application/json")
    assert post.headers["Authorization"] == f"Bearer {SLACK_TOKEN}"
    answer = post.json()
    assert AGENCY_COST in answer["text"]
    assert AGENCY_COST in block_texts(answer["blocks"], "section")
    assert AGENCY_COST_SOURCE in block_texts(answer["blocks"], "context")
    assert "custom" not in answer and "type" not in answer  # the payload is rendered, not posted
    buttons = buttons_of(answer["blocks"])
    assert 2 <= len(buttons) <= 3 and all(b["value"].startswith("/") for b in buttons)

    # the first related question's button, clicked: Slack sends it form-encoded
    assert buttons[0]["value"] == payload("ask_pitfalls", "agency")
    clicked = signed(webhook, click_body(buttons[0]["value"], channel, user),
                     "application/x-www-form-urlencoded")
    assert clicked.status_code == 200, clicked.text
    pitfalls = kb.resolve("ask_pitfalls", "agency").entry.answer[:30]
    (follow_up,) = posts_with(fake_slack_api, channel, pitfalls)
    assert pitfalls in block_texts(follow_up["blocks"], "section")


def test_a_comparison_reaches_slack_as_rows_of_fields(webhook, fake_slack_api):
    channel, user = new_id("D"), new_id("U")
    assert signed(webhook, as_json(message_event("三种模式对比", channel, user)),
                  "application/json").status_code == 200
    (table,) = posts_with(fake_slack_api, channel, COMPARISON_HEADER)
    assert table["blocks"][0]["type"] == "header"
    rows = [b for b in table["blocks"] if b["type"] == "section"]
    assert len(rows) == 5 and all(len(r["fields"]) == 3 for r in rows)


def refused_then_sentinel(webhook, fake, channel: str, user: str) -> None:
    """A later good message in the same conversation is answered, and it is the only post:
    what was refused before it never reached the assistant."""
    assert signed(webhook, as_json(message_event("代运营怎么收费", channel, user)),
                  "application/json").status_code == 200
    posts_with(fake, channel, AGENCY_COST)
    time.sleep(1)
    assert len(fake.received(POST, where=in_channel(channel))) == 1


def test_a_bad_signature_is_refused_and_not_answered(webhook, fake_slack_api):
    channel, user = new_id("D"), new_id("U")
    body = as_json(message_event("代运营怎么收费", channel, user))
    wrong_secret = signed(webhook, body, "application/json", secret="not-the-secret")
    assert wrong_secret.status_code == 401
    unsigned = requests.post(webhook, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert unsigned.status_code == 401
    stamp = str(int(time.time()))
    digest = hmac.new(SLACK_SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    tampered = requests.post(webhook, data=body.replace("代运营".encode(), "联合运营".encode()), timeout=10,
                             headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                                      "X-Slack-Signature": f"v0={digest.hexdigest()}"})
    assert tampered.status_code == 401
    unsigned_click = requests.post(webhook, data=click_body("/ask_cost", channel, user), timeout=10,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned_click.status_code == 401
    refused_then_sentinel(webhook, fake_slack_api, channel, user)


@pytest.mark.parametrize("age_s", [6 * 60, -6 * 60])
def test_a_stale_timestamp_is_refused_even_when_correctly_signed(webhook, fake_slack_api, age_s):
    channel, user = new_id("D"), new_id("U")
    body = as_json(message_event("代运营怎么收费", channel, user))
    assert signed(webhook, body, "application/json", timestamp=int(time.time()) - age_s).status_code == 401
    refused_then_sentinel(webhook, fake_slack_api, channel, user)


def test_a_retry_of_an_event_or_a_click_is_not_answered_twice(webhook, fake_slack_api, kb):
    channel, user = new_id("D"), new_id("U")
    body = as_json(message_event("代运营怎么收费", channel, user))
    assert signed(webhook, body, "application/json").status_code == 200
    posts_with(fake_slack_api, channel, AGENCY_COST)
    for number, reason in [(1, "http_error"), (2, "http_timeout")]:
        retry = signed(webhook, body, "application/json",
                       headers={"X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason})
        assert retry.status_code == 200 and retry.headers.get("X-Slack-No-Retry") == "1"
    click = click_body(payload("ask_risk", "agency"), channel, user)
    assert signed(webhook, click, "application/x-www-form-urlencoded").status_code == 200
    risk = kb.resolve("ask_risk", "agency").entry.answer[:30]
    posts_with(fake_slack_api, channel, risk)
    again = signed(webhook, click, "application/x-www-form-urlencoded",
                   headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    assert again.status_code == 200 and again.headers.get("X-Slack-No-Retry") == "1"
    # a new question afterwards is answered, after anything the retries would have caused
    assert signed(webhook, as_json(message_event("三种模式对比", channel, user)),
                  "application/json").status_code == 200
    posts_with(fake_slack_api, channel, COMPARISON_HEADER)
    time.sleep(2)
    assert len(posts_with(fake_slack_api, channel, AGENCY_COST)) == 1
    assert len(posts_with(fake_slack_api, channel, risk)) == 1
    assert len(fake_slack_api.received(POST, where=in_channel(channel))) == 3


def test_bot_messages_edits_and_other_channels_are_not_answered(webhook, fake_slack_api):
    channel, user = new_id("D"), new_id("U")
    ignored = [
        message_event("代运营怎么收费", channel, user, bot_id="B0FAQ"),
        message_event("代运营怎么收费", channel, user, subtype="message_changed"),
        message_event("代运营怎么收费", channel, user, channel_type="channel"),
    ]
    for event in ignored:
        reply = signed(webhook, as_json(event), "application/json")
        assert reply.status_code == 200, reply.text
    refused_then_sentinel(webhook, fake_slack_api, channel, user)


def test_a_message_in_the_configured_channel_is_answered_there(webhook, fake_slack_api):
    user = new_id("U")
    event = message_event("联合运营费用怎么算", SLACK_CHANNEL, user, channel_type="channel")
    assert signed(webhook, as_json(event), "application/json").status_code == 200
    (post,) = posts_with(fake_slack_api, SLACK_CHANNEL, "固定投入+绩效分成")
    assert post["channel"] == SLACK_CHANNEL


def test_url_verification_echoes_the_challenge(webhook):
    body = as_json({"token": "unused", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                    "type": "url_verification"})
    reply = signed(webhook, body, "application/json")
    assert reply.status_code == 200
    assert reply.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert requests.post(webhook, data=body, headers={"Content-Type": "application/json"},
                         timeout=10).status_code == 401


def form(payload_text: str) -> bytes:
    return urlencode({"payload": payload_text}).encode()


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"type": "event_callback", "event": "text"}', "application/json"),
        (b'{"type": "event_callback", "event": {"type": "message", "text": 5, "channel_type": "im"}}',
         "application/json"),
        (b'{"type": "event_callback", "event": {"type": "message", "text": "hi", "channel_type": "im",'
         b' "channel": "D1"}}', "application/json"),  # no user
        (b'{"type": "event_callback", "authed_users": "U1", "event": {}}', "application/json"),
        (b'{"type": "url_verification", "challenge": ["x"]}', "application/json"),
        (b"", "application/x-www-form-urlencoded"),
        (b"text=hello", "application/x-www-form-urlencoded"),
        (form("{not json"), "application/x-www-form-urlencoded"),
        (form('"a string"'), "application/x-www-form-urlencoded"),
        (form('{"type": "block_actions", "actions": "button"}'), "application/x-www-form-urlencoded"),
        (form('{"type": "block_actions", "actions": [{"type": "button", "value": "/greet"}]}'),
         "application/x-www-form-urlencoded"),  # no user
        (form('{"type": "block_actions", "user": "U1", "actions": [{"type": "button", "value": "/x"}]}'),
         "application/x-www-form-urlencoded"),
        (form('{"type": "block_actions", "user": {"id": "U1"},'
              ' "actions": [{"type": "static_select", "selected_option": "x"}]}'),
         "application/x-www-form-urlencoded"),
        (form('{"type": "block_actions", "user": {"id": "U1"},'
              ' "actions": [{"type": "button", "value": {"a": 1}}]}'),
         "application/x-www-form-urlencoded"),
    ],
)
def test_a_signed_but_malformed_body_is_a_400(webhook, body, content_type):
    reply = signed(webhook, body, content_type)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]


def test_other_content_types_and_unsupported_interactions_get_no_5xx(webhook):
    assert signed(webhook, b"hello", "text/plain").status_code == 415
    shortcut = form('{"type": "shortcut", "callback_id": "x", "user": {"id": "U1"}}')
    assert signed(webhook, shortcut, "application/x-www-form-urlencoded").status_code == 200
    link = form('{"type": "block_actions", "user": {"id": "U1"},'
                ' "actions": [{"type": "button", "url": "https://example.com"}]}')
    assert signed(webhook, link, "application/x-www-form-urlencoded").status_code == 200
    charset = as_json({"type": "url_verification", "challenge": "c"})
    assert signed(webhook, charset, "application/json; charset=utf-8").json() == {"challenge": "c"}
    assert requests.get(webhook, timeout=10).status_code == 405
