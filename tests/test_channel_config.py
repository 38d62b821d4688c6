"""Which channels are on, and the socket.io channel's handling of what a browser sends."""
import asyncio

import pytest
import socketio
import yaml

from channels.config import REST, SLACK, SOCKETIO, WECHAT, channel_credentials, main
from channels.socketio import MAX_MESSAGE_CHARS, user_event_error, widget_event

WECHAT_ENV = {"WECHAT_TOKEN": "t", "WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s",
              "WECHAT_AES_KEY": "k" * 43}


def test_without_channel_variables_only_rest_and_the_widget_are_on():
    assert list(channel_credentials({})) == [REST, SOCKETIO]


def test_slack_needs_its_token_and_signing_secret():
    assert SLACK not in channel_credentials({"SLACK_TOKEN": "xoxb-1"})
    assert SLACK not in channel_credentials({"SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "  "})
    slack = channel_credentials({"SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})[SLACK]
    assert slack["slack_token"] == "xoxb-1" and slack["slack_channel"] is None


@pytest.mark.parametrize("missing", sorted(WECHAT_ENV))
def test_wechat_needs_all_four_variables(missing):
    assert WECHAT not in channel_credentials({k: v for k, v in WECHAT_ENV.items() if k != missing})


def test_wechat_on_with_its_variables_and_the_default_reply_deadline():
    wechat = channel_credentials(WECHAT_ENV)[WECHAT]
    assert wechat["app_id"] == "wx1" and wechat["reply_timeout_s"] == 4.5


def test_the_credentials_file_is_written_for_rasa_and_readable_only_by_its_owner(tmp_path, monkeypatch):
    for name in ("SLACK_TOKEN", "SLACK_SIGNING_SECRET", *WECHAT_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    target = tmp_path / "run" / "credentials.yml"
    main(["--write", str(target)])
    assert list(yaml.safe_load(target.read_text())) == [REST, SOCKETIO, SLACK]
    assert target.stat().st_mode & 0o077 == 0


def test_a_bot_message_reaches_the_widget_as_one_event():
    event = widget_event({"text": "答案\n\n来源：x", "buttons": [{"title": "t", "payload": "/p"}],
                          "custom": {"type": "answer"}})
    assert event == {"text": "答案\n\n来源：x", "buttons": [{"title": "t", "payload": "/p"}],
                     "custom": {"type": "answer"}}


@pytest.mark.parametrize("data", [
    "代运营怎么收费", None, ["x"], {"session_id": "s"}, {"message": 3, "session_id": "s"},
    {"message": "x" * (MAX_MESSAGE_CHARS + 1), "session_id": "s"},
    {"message": "hi"}, {"message": "hi", "session_id": ""}, {"message": "hi", "session_id": "s" * 129},
    {"message": "hi", "session_id": "s", "metadata": "{not json"},
    {"message": "hi", "session_id": "s", "metadata": [1]},
])
def test_malformed_widget_events_are_named(data):
    assert user_event_error(data)


def test_a_well_formed_widget_event_passes():
    assert user_event_error({"message": "代运营怎么收费", "session_id": "abc", "metadata": {}}) is None


def test_malformed_socket_events_get_an_error_event_and_the_server_keeps_answering(assistant):
    async def conversation():
        client = socketio.AsyncClient()
        errors, replies, confirmed = [], [], asyncio.Event()

        @client.on("error")
        async def on_error(data):
            errors.append(data)

        @client.on("bot_uttered")
        async def on_bot(data):
            replies.append(data)

        @client.on("session_confirm")
        async def on_session(session_id):
            confirmed.set()

        await client.connect(assistant.rasa_url, transports=["polling"])
        await client.emit("session_request", {"session_id": ["not", "a", "string"]})
        await asyncio.wait_for(confirmed.wait(), 10)
        for bad in ("plain string", {"message": 1, "session_id": "s"}, {"message": "x" * 6000, "session_id": "s"}):
            await client.emit("user_uttered", bad)
        for _ in range(50):
            if len(errors) == 3:
                break
            await asyncio.sleep(0.1)
        session_id = "widget-test-" + str(id(client))
        await client.emit("session_request", {"session_id": session_id})
        await client.emit("user_uttered", {"message": "代运营怎么收费", "session_id": session_id})
        for _ in range(100):
            if replies:
                break
            await asyncio.sleep(0.1)
        await client.disconnect()
        return errors, replies

    errors, replies = asyncio.run(conversation())
    assert len(errors) == 3 and all("error" in e for e in errors)
    assert replies and replies[0]["custom"]["id"] == "agency_cost"
