"""Rasa's REST channel with request validation.

Rasa's own RestInput passes a missing `message` on as None and answers a JSON array or a
missing sender by mixing conversations; here such requests get a 400 with a reason.
"""
import json
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_BODY_BYTES = 256 * 1024
MAX_SENDER_CHARS = 128


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
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def validate(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            error = rest_payload_error(request.body)
            if error:
                return response.json({"error": error}, status=400)
            return None

        return webhook
