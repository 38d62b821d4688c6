"""Fuzzing the public inputs of the running assistant with hypothesis: the REST webhook and the
WeChat webhook get random text, random bytes, malformed JSON and XML, XML entity bombs and
huge bodies. Every answer is a 2xx or a 4xx, never a 5xx, and the server keeps answering."""
import json
import uuid

import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.test_wechat_channel import WeChatServer, new_msg_id, new_openid, text_xml

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                       children, max_size=4),
    max_leaves=12)
BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 or "")) * 10}">'
                            for i in range(1, 9))
                  + ']><xml><Content>&lol8;</Content></xml>')
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   "<xml><Content>&xxe;</Content></xml>")


def rest(assistant, body: bytes, content_type="application/json") -> requests.Response:
    return requests.post(f"{assistant.rasa_url}/webhooks/rest/webhook", data=body, timeout=60,
                         headers={"Content-Type": content_type})


def assert_no_server_error(response: requests.Response) -> None:
    assert 200 <= response.status_code < 500, (response.status_code, response.text[:200])


def assert_still_answering(assistant) -> None:
    reply = requests.post(f"{assistant.rasa_url}/webhooks/rest/webhook", timeout=30,
                          json={"sender": f"fuzz-check-{uuid.uuid4().hex[:6]}",
                                "message": "代运营怎么收费"})
    assert reply.status_code == 200
    assert [m["custom"]["id"] for m in reply.json() if "custom" in m] == ["agency_cost"]


@FUZZ
@given(message=st.text(max_size=300))
def test_rest_random_text_messages(assistant, message):
    response = rest(assistant, json.dumps({"sender": "fuzz-text", "message": message}).encode())
    assert response.status_code == 200, response.text[:200]
    assert isinstance(response.json(), list)


@FUZZ
@given(body=JSON_VALUES)
def test_rest_random_json_bodies(assistant, body):
    assert_no_server_error(rest(assistant, json.dumps(body).encode()))


@FUZZ
@given(body=st.binary(max_size=2000))
def test_rest_random_bytes(assistant, body):
    assert_no_server_error(rest(assistant, body, content_type="application/octet-stream"))


def test_rest_huge_and_truncated_bodies(assistant):
    huge = json.dumps({"sender": "fuzz-huge", "message": "代运营" * 200_000}).encode()
    for body in (huge, b"x" * 3_000_000, b'{"sender": "a", "message": "unterminated',
                 b"\xff\xfe" * 1000, b""):
        assert 400 <= rest(assistant, body).status_code < 500
    assert_still_answering(assistant)


@FUZZ
@given(body=st.text(max_size=500) | st.binary(max_size=500))
def test_wechat_random_bodies(assistant, body):
    assert_no_server_error(WeChatServer(assistant.rasa_url).post(body))


# what WeChat can send: any text XML 1.0 allows (no control characters but tab and newlines)
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n"),
                   max_size=200).filter(lambda t: "]]>" not in t)


@FUZZ
@given(content=XML_TEXT)
def test_wechat_random_message_text(assistant, content):
    response = WeChatServer(assistant.rasa_url).post(text_xml(new_openid(), content, new_msg_id()))
    assert response.status_code == 200, response.text[:200]


@FUZZ
@given(control=st.characters(max_codepoint=0x1F).filter(lambda c: c not in "\t\n\r"))
def test_wechat_text_with_characters_xml_forbids_is_refused(assistant, control):
    response = WeChatServer(assistant.rasa_url).post(
        text_xml(new_openid(), f"代运营{control}怎么收费", new_msg_id()))
    assert response.status_code == 400


@FUZZ
@given(cut=st.integers(min_value=1, max_value=200), junk=st.text(max_size=20))
def test_wechat_truncated_xml(assistant, cut, junk):
    xml = text_xml(new_openid(), "代运营怎么收费", new_msg_id())
    assert_no_server_error(WeChatServer(assistant.rasa_url).post(xml[:-cut] + junk))


def test_wechat_entity_bombs_external_entities_and_huge_bodies_are_refused(assistant):
    wechat = WeChatServer(assistant.rasa_url)
    for body in (BILLION_LAUGHS, EXTERNAL_ENTITY, "<xml>" + "<a>" * 50_000 + "</xml>",
                 text_xml(new_openid(), "代" * 100_000, new_msg_id())):
        response = wechat.post(body)
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
        assert "root:" not in response.text
    for body in (BILLION_LAUGHS, EXTERNAL_ENTITY):  # encrypted, as safe mode sends them
        assert 400 <= wechat.post(body, safe=True).status_code < 500
    assert_still_answering(assistant)
