"""Rasa's socket.io channel for the web widget, with these changes.

- Each bot message reaches the widget as one `bot_uttered` event carrying its text, buttons
  and custom payload together, so the widget can draw a card in place of the plain text.
  (Rasa's own output splits text at blank lines and emits custom JSON as keyword arguments
  of `emit`, which fails for any payload that is not shaped like `emit`'s parameters.)
- `session_request` awaits `enter_room`: python-socketio 5.10+ made it a coroutine, and Rasa
  3.6 calls it without `await`, so the session room was never joined and no reply arrived.
- A malformed `user_uttered` event (not an object, no text, an oversized text) is answered
  with an `error` event instead of raising inside the socket handler.
- A message staff sent from the console carries `staff: true`, so the widget labels it.
"""
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from support.db import DatabaseUnavailable

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
MAX_SESSION_ID_CHARS = 128
# shown by the widget as 消息没有发出：…; the seller sends it again
STORE_UNAVAILABLE = "系统暂时无法保存对话，请稍后再发一次"


def widget_event(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """The widget's shape of one bot message: text, buttons, custom payload."""
    event: Dict[Text, Any] = {"text": message.get("text") or ""}
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if buttons:
        event["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in buttons]
    if message.get("custom"):
        event["custom"] = message["custom"]
    if message.get("image"):
        event["image"] = message["image"]
    if message.get("staff") is True:
        # a staff reply (webapp/staff_api.py appends it with metadata {"staff": true}, which
        # Rasa merges into the message): the widget labels it 客服
        event["staff"] = True
    return event


def user_event_error(data: Any) -> Optional[str]:
    """Why a `user_uttered` event is unacceptable, or None when it is fine."""
    if not isinstance(data, dict):
        return "a message must be an object"
    if not isinstance(data.get("message"), str):
        return 'field "message" (a string) is required'
    if len(data["message"]) > MAX_MESSAGE_CHARS:
        return f"a message may have at most {MAX_MESSAGE_CHARS} characters"
    session_id = data.get("session_id")
    if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SESSION_ID_CHARS:
        return "request a session first (session_request) and send its session_id"
    metadata = data.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return 'field "metadata" must be an object'
    if metadata is not None and not isinstance(metadata, dict):
        return 'field "metadata" must be an object'
    return None


class WidgetSocketIOOutput(SocketIOOutput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self._send_message(recipient_id, widget_event(message))


class WidgetSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[WidgetSocketIOOutput]:
        if self.sio is None:
            return None
        return WidgetSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio

        async def session_request(sid: Text, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SESSION_ID_CHARS:
                session_id = uuid.uuid4().hex
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: Text, data: Any) -> None:
            error = user_event_error(data)
            if error:
                await sio.emit("error", {"error": error}, room=sid)
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            try:
                await on_new_message(
                    UserMessage(
                        data["message"],
                        WidgetSocketIOOutput(sio, self.bot_message_evt),
                        data["session_id"],
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
            except DatabaseUnavailable as store_error:  # raised by rasa_runtime/patches.py
                logger.error("widget message not handled, conversation store down: %s",
                             store_error)
                await sio.emit("error", {"error": STORE_UNAVAILABLE}, room=sid)

        # these replace the handlers Rasa registered for the same events
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
