"""WeChat Official Account (公众号) channel: /webhooks/wechat/webhook.

Switched on by WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET and WECHAT_AES_KEY (see
channels/config.py). Signatures, safe-mode (AES) crypto, XML parsing and replies are
wechatpy's; this module decides what to answer and how to deliver it:

* GET: server verification, `echostr` echoed only for a valid signature.
* POST: plaintext or safe mode (`encrypt_type=aes` + `msg_signature`). The bot runs as a
  task; when it is done within `reply_timeout_s` (WeChat waits 5 s) and its answer fits in
  one message, the answer is the passive XML reply (encrypted in safe mode). Otherwise the
  response is `success` and the answer goes out through the customer-service message API
  once the bot is done, in order, from a thread pool (wechatpy's client uses `requests`).
* Retries of one message (same MsgId; events: same sender and CreateTime) are answered
  once: a retry waits for the first delivery's outcome and gets the same passive reply,
  or `success` when the answer went out through the API.
* Buttons become numbered options; a reply `1`, `２`, ... sends that button's payload.
* Subscribing gets the welcome (`/greet`); images, voice, video, locations and links get a
  text-only note without asking the bot.
* Messages outside a seller's turn (a staff reply from the console, the end of a handoff:
  Rasa's conversation API with `output_channel=latest`) go out through the customer-service
  message API (`get_output_channel`); a failed delivery raises, so the caller learns of it.

Bad requests get a 4xx: a bad signature 403, a body over MAX_BODY_BYTES 413, malformed
XML or any DOCTYPE/ENTITY declaration (entity bombs) 400.
"""
import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple
from xml.parsers.expat import ExpatError

import requests
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from requests.adapters import HTTPAdapter
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import WeChatClient, create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from wechatpy.exceptions import InvalidSignatureException, WeChatException
from wechatpy.messages import BaseMessage, TextMessage
from wechatpy.utils import check_signature

from channels import wechat_text
from channels.expiring_cache import ExpiringCache

logger = logging.getLogger(__name__)

WECHAT_API_URL = "https://api.weixin.qq.com/cgi-bin/"
MAX_BODY_BYTES = 64 * 1024
FORBIDDEN_XML = (b"<!doctype", b"<!entity")
# WeChat retries a message 3 times, 5 s apart: a MsgId is remembered well beyond that
DEDUP_TTL_S = 5 * 60
# numbered options answer the bot's last turn; an hour matches the session expiry in domain.yml
OPTIONS_TTL_S = 60 * 60
API_TIMEOUT_S = 10
API_THREADS = 4
GREET = "/greet"
# the fields read here: each must be text (or absent) for a message to be accepted
TEXT_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Event")


class BadRequest(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class _Delivery:
    """How one incoming message was answered, for its retries: `decided` resolves to the
    passive reply (plaintext XML) or to None when the response was `success`."""

    def __init__(self) -> None:
        self.decided: "asyncio.Future[Optional[str]]" = asyncio.get_running_loop().create_future()

    def decide(self, reply_xml: Optional[str]) -> None:
        if not self.decided.done():
            self.decided.set_result(reply_xml)


class WeChatOutput(CollectingOutputChannel):
    """Collects a turn's bot messages whole (Rasa's collector splits texts at blank lines)."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


class WeChatDeliveryError(Exception):
    pass


class WeChatAPIOutput(OutputChannel):
    """Sends each message as it comes through the customer-service message API, from the
    channel's thread pool. Used for messages not answering a seller's message (see
    WeChatInput.get_output_channel); WeChat accepts them within 48 hours of the seller's
    last message."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    def __init__(self, channel: "WeChatInput") -> None:
        self._channel = channel

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text, options = wechat_text.render_turn([message])
        # numbered options answer the latest message, as after a bot turn
        if options:
            self._channel._options.set(recipient_id, options)
        else:
            self._channel._options.pop(recipient_id)
        loop = asyncio.get_running_loop()
        for part in wechat_text.split_text(text) if text else []:
            sent = await loop.run_in_executor(
                self._channel._executor, self._channel._send_text, recipient_id, part)
            if not sent:
                raise WeChatDeliveryError(f"customer-service message to {recipient_id} failed")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class _TimeoutAdapter(HTTPAdapter):
    """wechatpy fetches the access token without a timeout; every call gets one here."""

    def send(self, request, timeout=None, **kwargs):
        return super().send(request, timeout=timeout or API_TIMEOUT_S, **kwargs)


class _WeChatAPIClient(WeChatClient):
    """wechatpy's client with a configurable API base URL (tests use a fake API)."""

    def __init__(self, appid: str, secret: str, api_url: str):
        super().__init__(appid, secret, timeout=API_TIMEOUT_S)
        self.API_BASE_URL = api_url
        adapter = _TimeoutAdapter()
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def _field(message: BaseMessage, name: str) -> str:
    """A text field of the parsed message ("" when absent); a nested or repeated element
    is refused. (wechatpy keeps the parsed XML in `_data`; its field accessors would turn
    a nested element into a dict.)"""
    value = message._data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(400, f"{name} must be text")
    return value


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            token=credentials["token"],
            app_id=credentials["app_id"],
            app_secret=credentials["app_secret"],
            aes_key=credentials["aes_key"],
            api_url=credentials.get("api_url"),
            reply_timeout_s=float(credentials.get("reply_timeout_s") or 4.5),
        )

    def __init__(self, token: str, app_id: str, app_secret: str, aes_key: str,
                 api_url: Optional[str] = None, reply_timeout_s: float = 4.5) -> None:
        self.token, self.app_id = token, app_id
        self.reply_timeout_s = reply_timeout_s
        try:
            self.crypto = WeChatCrypto(token, aes_key, app_id)
        except (AssertionError, ValueError) as error:
            raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey") from error
        api_url = api_url or WECHAT_API_URL
        self.client = _WeChatAPIClient(app_id, app_secret, api_url.rstrip("/") + "/")
        self._executor = ThreadPoolExecutor(API_THREADS, thread_name_prefix="wechat-api")
        self._deliveries = ExpiringCache(DEDUP_TTL_S)  # (openid, MsgId) -> _Delivery
        self._options = ExpiringCache(OPTIONS_TTL_S)  # openid -> payloads of the last turn
        self._background: Set[asyncio.Task] = set()

    def get_output_channel(self) -> OutputChannel:
        """For Rasa's conversation API (`output_channel=latest`): staff replies and the end
        of a handoff reach the seller through the customer-service message API."""
        return WeChatAPIOutput(self)

    # ---- HTTP ----
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            args = request.args
            try:
                self._check_signature(args)
            except BadRequest as error:
                return response.text(error.reason, status=error.status)
            return response.text(args.get("echostr") or "")

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                safe_mode, message = self._read(request)
            except BadRequest as error:
                logger.info("WeChat request refused (%s): %s", error.status, error.reason)
                return response.text(error.reason, status=error.status)
            try:
                reply_xml = await self._answer(message, on_new_message)
            except asyncio.CancelledError:
                raise
            except Exception:  # never a 5xx: WeChat would retry and show an error to the user
                logger.exception("WeChat message from %s not answered", message.source)
                reply_xml = None
            if reply_xml is None:
                return response.text("success")
            if safe_mode:
                reply_xml = self.crypto.encrypt_message(
                    reply_xml, request.args.get("nonce") or "", str(int(time.time())))
            return response.text(reply_xml, content_type="application/xml; charset=utf-8")

        return webhook

    def _check_signature(self, args) -> None:
        signature, timestamp, nonce = (args.get(k) for k in ("signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            raise BadRequest(403, "signature, timestamp and nonce are required")
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise BadRequest(403, "invalid signature")

    def _read(self, request: Request) -> Tuple[bool, BaseMessage]:
        """(safe mode?, the parsed message) of a POST, or BadRequest."""
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
        args = request.args
        self._check_signature(args)
        xml = self._xml_text(body)
        safe_mode = (args.get("encrypt_type") or "raw").lower() == "aes"
        if safe_mode:
            msg_signature = args.get("msg_signature")
            if not msg_signature:
                raise BadRequest(403, "msg_signature is required in safe mode")
            try:
                xml = self.crypto.decrypt_message(
                    xml, msg_signature, args.get("timestamp"), args.get("nonce"))
            except InvalidSignatureException:
                raise BadRequest(403, "invalid msg_signature")
            except Exception as error:  # malformed envelope or ciphertext, wrong AppID
                raise BadRequest(400, f"cannot decrypt the message ({type(error).__name__})")
            xml = self._xml_text(xml.encode("utf-8"))
        try:
            message = parse_message(xml)
        except (ExpatError, KeyError, TypeError, AttributeError, ValueError) as error:
            raise BadRequest(400, f"malformed message XML ({type(error).__name__})")
        if message is None:
            raise BadRequest(400, "request body is empty")
        for name in TEXT_FIELDS:
            _field(message, name)
        if not _field(message, "FromUserName"):
            raise BadRequest(400, "FromUserName is required")
        return safe_mode, message

    @staticmethod
    def _xml_text(body: bytes) -> str:
        lowered = body.lower()
        if any(marker in lowered for marker in FORBIDDEN_XML):
            raise BadRequest(400, "DOCTYPE and ENTITY declarations are not accepted")
        try:
            xml = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(400, "request body must be UTF-8 XML")
        if not xml.strip():
            raise BadRequest(400, "request body is empty")
        return xml

    # ---- answering ----
    async def _answer(self, message: BaseMessage, on_new_message) -> Optional[str]:
        """The passive reply (plaintext XML) for a message, or None to answer `success`."""
        openid = _field(message, "FromUserName")
        msg_id = _field(message, "MsgId")
        key = (openid, msg_id or "event@" + _field(message, "CreateTime"))
        earlier = self._deliveries.get(key)
        if earlier is not None:
            logger.debug("WeChat retry of %s: answered by the first delivery", key)
            try:
                return await asyncio.wait_for(
                    asyncio.shield(earlier.decided), self.reply_timeout_s + 1)
            except asyncio.TimeoutError:
                return None
        delivery = _Delivery()
        self._deliveries.set(key, delivery)
        reply_xml = None
        try:
            reply_xml = await self._first_answer(message, openid, ":".join(key), on_new_message)
        finally:
            delivery.decide(reply_xml)  # on a failure retries get `success`
        return reply_xml

    async def _first_answer(self, message: BaseMessage, openid: str, message_id: str,
                            on_new_message) -> Optional[str]:
        msg_type = _field(message, "MsgType").lower()
        if isinstance(message, (SubscribeEvent, SubscribeScanEvent)):
            text = GREET
        elif isinstance(message, UnsubscribeEvent):
            self._options.pop(openid)
            return None
        elif msg_type == "event" or msg_type.startswith("device_"):
            return None  # menu clicks, location reports and other events: nothing to say
        elif isinstance(message, TextMessage):
            typed = _field(message, "Content")
            text = wechat_text.choose_option(typed, self._options.get(openid) or []) or typed
        else:  # image, voice, video, shortvideo, location, link, file, ...: not read
            return self._reply_xml(message, wechat_text.NON_TEXT_NOTE)

        bot = asyncio.ensure_future(self._run_bot(on_new_message, openid, text, message_id))
        try:
            # waiting does not cancel the bot: a late answer goes out through the API
            await asyncio.wait({bot}, timeout=self.reply_timeout_s)
        except asyncio.CancelledError:  # WeChat hung up
            self._send_when_done(openid, bot)
            raise
        if bot.done() and len(bot.result()) == 1:
            return self._reply_xml(message, bot.result()[0])
        # late, several messages (all through the API, so they arrive in order) or nothing
        self._send_when_done(openid, bot)
        return None

    async def _run_bot(self, on_new_message, openid: str, text: str, message_id: str) -> List[str]:
        """The bot's answer to `text`, as WeChat messages; remembers its numbered options."""
        output = WeChatOutput()
        try:
            await on_new_message(UserMessage(
                text, output, sender_id=openid, input_channel=self.name(), message_id=message_id))
        except Exception:
            logger.exception("The bot failed on a WeChat message from %s", openid)
            self._options.pop(openid)
            return [wechat_text.BOT_ERROR_NOTE]
        answer, options = wechat_text.render_turn(output.messages)
        if options:
            self._options.set(openid, options)
        else:
            self._options.pop(openid)
        return wechat_text.split_text(answer) if answer else []

    @staticmethod
    def _reply_xml(message: BaseMessage, text: str) -> str:
        return create_reply(wechat_text.cdata_safe(text), message=message, render=True)

    # ---- customer-service message API ----
    def _send_when_done(self, openid: str, bot: "asyncio.Future[List[str]]") -> None:
        async def send() -> None:
            loop = asyncio.get_running_loop()
            for part in await bot:
                sent = await loop.run_in_executor(self._executor, self._send_text, openid, part)
                if not sent:
                    break

        task = asyncio.ensure_future(send())
        self._background.add(task)  # a reference, so the task is not garbage-collected
        task.add_done_callback(self._background.discard)

    def _send_text(self, openid: str, text: str) -> bool:
        """Blocking (`requests`): runs in the thread pool, never on the event loop."""
        try:
            self.client.message.send_text(openid, text)
            return True
        except (WeChatException, requests.RequestException, ValueError) as error:
            logger.warning("WeChat customer-service message to %s failed: %s", openid, error)
        except Exception:
            logger.exception("WeChat customer-service message to %s failed", openid)
        return False
