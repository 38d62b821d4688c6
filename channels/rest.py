"""Rasa's REST channel with request validation.

Rasa's own RestInput passes a missing `message` on as None and answers a JSON array or a
missing sender by mixing conversations; here such requests get a 400 with a reason. It also
answers 200 with no messages when the conversation store is down; here that is a 503 with a
reason, so the client knows to send the message again (it was not stored).
"""
import json
import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from support.db import DatabaseUnavailable

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_SENDER_CHARS = 128
STORE_UNAVAILABLE = "conversation store unavailable; the message was not stored, send it again"


def rest_payload_error(body: bytes) -> Optional[str]:
    """Why a REST webhook body is unacceptable, or None when it is fine."""
    if len(body) > MAX_BODY_BYTES:
        return f"request body is larger than {MAX_BODY_BYTES} bytes"
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "request body must be JSON"
    if not isinstance(data, dict):
        return "request body must be a JSON object"
    if not isinstance(data.get("message"), str):
        return 'field "message" (a string) is required'
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return f'field "sender" (a non-empty string of at most {MAX_SENDER_CHARS} characters) is required'
    if not isinstance(data.get("metadata", {}), (dict, type(None))):
        return 'field "metadata" must be an object'
    return None


class ValidatingRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            error = rest_payload_error(request.body)
            if error:
                return response.json({"error": error}, status=400)
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            input_channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            if bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel,
                                         metadata),
                    content_type="text/event-stream")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender_id,
                                                 input_channel=input_channel, metadata=metadata))
            except DatabaseUnavailable as store_error:  # raised by rasa_runtime/patches.py
                logger.error("REST message not handled, conversation store down: %s", store_error)
                return response.json({"error": STORE_UNAVAILABLE}, status=503)
            except Exception:
                # as Rasa's RestInput: whatever the bot said before the failure still goes out
                logger.exception("REST message from %s failed", sender_id)
            return response.json(collector.messages)

        return webhook
