"""Request validation of the REST channel (the server-level behaviour is in test_end_to_end)."""
import json

import pytest

from channels.rest import MAX_BODY_BYTES, rest_payload_error


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_a_normal_request_is_accepted():
    assert rest_payload_error(body(sender="s1", message="代运营怎么收费")) is None


@pytest.mark.parametrize("message", ["", "   ", "😀", "<script>alert(1)</script>", "长" * 5000])
def test_odd_but_valid_messages_are_accepted_for_the_bot_to_answer(message):
    assert rest_payload_error(body(sender="s1", message=message)) is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        body(sender="s1"),
        body(sender="s1", message=None),
        body(sender="s1", message=123),
        body(message="hi"),
        body(sender="", message="hi"),
        body(sender=["a"], message="hi"),
        body(sender="s1", message="hi", metadata="x"),
        body(sender="s1", message="x" * (MAX_BODY_BYTES + 1)),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(raw):
    assert rest_payload_error(raw)
