"""Rasa's Slack connector with its faults fixed; bot messages rendered as Slack blocks.

Rasa's SlackInput answers 500 to an interactive payload it can't process and raises on a
malformed body, echoes the url_verification challenge as a bare string, answers a retry
of an event it already handled again (unless the retry reason is `http_timeout`), compares
the content type exactly, and its SlackBot posts the `custom` payload as chat.postMessage
arguments. Here every signed-but-malformed body gets a 400, a repeated event is answered
once, and each bot message is one chat.postMessage built by channels/slack_blocks.py.
Rasa's signature check (HMAC-SHA256 over `v0:timestamp:body`, 5 minutes staleness) and its
helpers for events, buttons and conversation ids are reused.
"""
import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text
from urllib.parse import parse_qs

from aiohttp import ClientError
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.expiring_cache import ExpiringCache
from channels.slack_blocks import slack_message

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
SEEN_TTL_S = 60 * 60  # Slack's last retry comes about 5 minutes after the event
SEEN_MAX = 10_000
NO_RETRY = {"X-Slack-No-Retry": "1"}
# message subtypes that are not something a seller typed (joins, edits, deletions…)
ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")


class BadSlackRequest(ValueError):
    """A signed request whose body is not what Slack sends: answered with a 400."""


class SeenIds:
    """Ids of events and clicks already received (see ExpiringCache: per process)."""

    def __init__(self, ttl_s: float = SEEN_TTL_S, size: int = SEEN_MAX):
        self._seen = ExpiringCache(ttl_s, max_items=size)

    def first_time(self, keys: Iterable[Optional[str]]) -> bool:
        """Records `keys`; False if any of them was seen before."""
        keys = [k for k in keys if k]
        repeated = any(self._seen.get(k) for k in keys)
        for key in keys:
            self._seen.set(key, True)
        return not repeated


def media_type(request: Request) -> str:
    """`application/json` also for `application/json; charset=utf-8` (Rasa compares exactly)."""
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _object(value: Any, what: str) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadSlackRequest(f"{what} must be an object")
    return value


def _strings(data: Dict[str, Any], names: Iterable[str], where: str) -> None:
    for name in names:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise BadSlackRequest(f"{where}.{name} must be a string")


def parse_event_body(body: bytes) -> Dict[str, Any]:
    """An Events API body (JSON), checked where Rasa's helpers would otherwise raise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadSlackRequest("request body must be JSON")
    if not isinstance(data, dict):
        raise BadSlackRequest("request body must be a JSON object")
    _strings(data, ("type", "event_id", "challenge"), "body")
    event = _object(data.get("event"), "event")
    _strings(event, ("type", "text", "user", "channel", "channel_type", "ts", "thread_ts",
                     "subtype"), "event")
    users = data.get("authed_users")
    if users is not None and not (isinstance(users, list) and all(isinstance(u, str) for u in users)):
        raise BadSlackRequest("authed_users must be a list of strings")
    authorizations = data.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        raise BadSlackRequest("authorizations must be a list of objects")
    return data


def parse_interaction_body(body: bytes) -> Dict[str, Any]:
    """An interactivity body: form-encoded `payload=` JSON (a button click)."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (ValueError, UnicodeDecodeError):
        raise BadSlackRequest("request body must be form-encoded")
    if len(form.get("payload") or []) != 1:
        raise BadSlackRequest('one form field "payload" is required')
    try:
        payload = json.loads(form["payload"][0])
    except ValueError:
        raise BadSlackRequest('"payload" must be JSON')
    if not isinstance(payload, dict):
        raise BadSlackRequest('"payload" must be a JSON object')
    _strings(payload, ("type", "trigger_id"), "payload")
    actions = payload.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    ):
        raise BadSlackRequest("payload.actions must be a list of objects")
    for name in ("user", "channel", "message"):
        _strings(_object(payload.get(name), f"payload.{name}"), ("id", "ts", "thread_ts"),
                 f"payload.{name}")
    for action in actions or []:
        _strings(action, ("type", "value", "action_ts"), "action")
    return payload


def event_metadata(data: Dict[str, Any]) -> Dict[str, Any]:
    """As Rasa's `get_metadata` for an event, from the body already parsed."""
    event = data.get("event") or {}
    users = list(data.get("authed_users") or [])
    if not users and data.get("authorizations"):
        user = data["authorizations"][0].get("user_id")
        users = [user] if isinstance(user, str) else []
    return {
        "out_channel": event.get("channel"),
        "thread_id": event.get("thread_ts", event.get("ts")),
        "users": users,
    }


def interaction_metadata(payload: Dict[str, Any]) -> Dict[str, Any]:
    """As Rasa's `get_metadata` for a click, from the payload already parsed."""
    message = payload.get("message") or {}
    user = (payload.get("user") or {}).get("id")
    return {
        "out_channel": (payload.get("channel") or {}).get("id"),
        "thread_id": message.get("thread_ts", message.get("ts")),
        "users": [user] if user else [],
    }


class SlackBlocksBot(SlackBot):
    """Posts each bot message as one chat.postMessage with blocks."""

    def __init__(
        self,
        token: Text,
        slack_channel: Optional[Text] = None,
        thread_id: Optional[Text] = None,
        proxy: Optional[Text] = None,
        api_url: Optional[Text] = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_url:
            self.client = AsyncWebClient(token, base_url=api_url, proxy=proxy)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        rendered = slack_message(message)
        if rendered is None:
            return
        try:
            # no `as_user`: it is for classic apps only, a bot token posts as the bot anyway
            await self._post_message(channel=self.slack_channel or recipient_id, **rendered)
        except (SlackApiError, ClientError, asyncio.TimeoutError) as e:
            logger.error(f"Slack: chat.postMessage failed: {e}")


class SlackChannel(SlackInput):
    """The Slack channel at /webhooks/slack/webhook (Events API and interactivity)."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.api_url = (credentials or {}).get("api_url")
        return channel

    def __init__(self, *args: Any, api_url: Optional[Text] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = api_url
        self.seen = SeenIds()

    def get_output_channel(
        self, channel: Optional[Text] = None, thread_id: Optional[Text] = None
    ) -> OutputChannel:
        # Without a channel (Rasa's conversation API, e.g. a staff reply) the message goes to
        # the seller's own conversation (a DM to the user id), never to the shared SLACK_CHANNEL.
        return SlackBlocksBot(self.slack_token, channel, thread_id, self.proxy, self.api_url)

    def _repeated(self, keys: List[Optional[str]]) -> Optional[HTTPResponse]:
        """200 with `X-Slack-No-Retry` for a retry of something already received."""
        if self.seen.first_time(keys):
            return None
        logger.info(f"Slack: {keys} already received, not answered again")
        return response.text("already received", headers=NO_RETRY)

    async def _event(
        self, request: Request, data: Dict[str, Any], on_new_message: Callable
    ) -> HTTPResponse:
        if data.get("type") == "url_verification":
            if not data.get("challenge"):
                raise BadSlackRequest('"challenge" is required')
            return response.json({"challenge": data["challenge"]})
        event = data.get("event") or {}
        if not self._is_user_message(data) or event.get("subtype") not in ANSWERED_SUBTYPES:
            return response.text("not a user message, ignored")
        metadata = event_metadata(data)
        if not self._is_supported_channel(data, metadata):
            return response.text("channel not supported, ignored")
        if not event.get("user"):
            raise BadSlackRequest("event.user is required")
        # an app_mention and its message event share channel and ts
        repeated = self._repeated(
            [data.get("event_id"), f"msg:{metadata['out_channel']}:{event.get('ts')}"
             if event.get("ts") else None]
        )
        if repeated:
            return repeated
        conversation_id = self._get_conversation_id(
            event["user"], metadata["out_channel"], metadata["thread_id"]
        )
        text = self._sanitize_user_message(event["text"], metadata["users"])
        return await self.process_message(
            request, on_new_message, text=text, sender_id=conversation_id, metadata=metadata
        )

    async def _interaction(
        self, request: Request, payload: Dict[str, Any], on_new_message: Callable
    ) -> HTTPResponse:
        if not self._is_interactive_message(payload):
            return response.text("interaction not supported, ignored")
        action = payload["actions"][0]
        try:
            text = self._get_interactive_response(action)
        except (AttributeError, IndexError, KeyError, TypeError):
            raise BadSlackRequest(f"{action.get('type')} action is malformed")
        if text is None:  # a link button or an empty selection: nothing to tell the bot
            return response.text("nothing to answer")
        if not isinstance(text, str):
            raise BadSlackRequest("the action's value must be a string")
        metadata = interaction_metadata(payload)
        if not metadata["users"]:
            raise BadSlackRequest("payload.user.id is required")
        sender_id = metadata["users"][0]
        click = payload.get("trigger_id") or f"{sender_id}:{action.get('action_ts')}"
        repeated = self._repeated([f"click:{click}"])
        if repeated:
            return repeated
        conversation_id = self._get_conversation_id(
            sender_id, metadata["out_channel"], metadata["thread_id"]
        )
        return await self.process_message(request, on_new_message, text, conversation_id, metadata)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if len(request.body) > MAX_BODY_BYTES:
                return response.json({"error": "request body too large"},
                                     status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            # nothing of the body is read before the signature is checked
            if not self.is_request_from_slack_authentic(request):
                return response.json(
                    {"error": "bad X-Slack-Signature or stale X-Slack-Request-Timestamp"},
                    status=HTTPStatus.UNAUTHORIZED,
                )
            kind = media_type(request)
            try:
                if kind == "application/json":
                    data = parse_event_body(request.body)
                    return await self._event(request, data, on_new_message)
                if kind == "application/x-www-form-urlencoded":
                    payload = parse_interaction_body(request.body)
                    return await self._interaction(request, payload, on_new_message)
            except BadSlackRequest as e:
                return response.json({"error": str(e)}, status=HTTPStatus.BAD_REQUEST)
            return response.json(
                {"error": "expected application/json or application/x-www-form-urlencoded"},
                status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            )

        return slack_webhook
