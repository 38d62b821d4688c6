"""A small client for Rasa's conversation API, used by the staff console.

Staff replies and the end of a handoff are events appended to the seller's conversation:
`POST /conversations/{sender}/tracker/events` with `output_channel=latest` (the channel the
seller last wrote from) and `execute_side_effects=true` (without it Rasa only stores a bot
event and sends nothing). Rasa accepts its API token only as the `token` query parameter, so
URLs here carry a secret: they are never logged, and errors are re-raised without them
(`requests`' exception texts include the URL).

Blocking (`requests`): the web app calls it from a worker thread.
"""
import logging
import os
import re
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import requests

logger = logging.getLogger(__name__)

TIMEOUT_S = 10
_TOKEN_PARAM = re.compile(r"([?&]token=)[^&\s\"']*")


def redact(text: str) -> str:
    return _TOKEN_PARAM.sub(r"\1***", text)


class _RedactTokenParam(logging.Filter):
    """urllib3 logs each request's URL at DEBUG level; ours carry Rasa's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactTokenParam())


class RasaAPIError(Exception):
    """Rasa did not take the events; the message is safe to log and to show staff."""


def internal_url_from_env() -> str:
    """Where the web app reaches Rasa server-to-server (not the browser-facing address)."""
    url = os.environ.get("RASA_INTERNAL_URL", "").strip()
    return url or f"http://127.0.0.1:{os.environ.get('RASA_PORT') or 5005}"


class RasaAPI:
    def __init__(self, base_url: str, token: Optional[str], timeout_s: float = TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        self._token = token or None
        self.timeout_s = timeout_s

    @classmethod
    def from_env(cls) -> "RasaAPI":
        return cls(internal_url_from_env(), os.environ.get("RASA_API_TOKEN"))

    def __repr__(self) -> str:  # never the token
        return f"RasaAPI({self.base_url!r})"

    def append_events(self, sender_id: str, events: List[Dict[str, Any]]) -> None:
        """Append `events` to `sender_id`'s conversation and send its bot messages to the
        seller's latest channel. Raises RasaAPIError when Rasa did not take them."""
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker/events"
        params = {"output_channel": "latest", "execute_side_effects": "true"}
        if self._token:
            params["token"] = self._token
        try:
            response = requests.post(url, params=params, json=events, timeout=self.timeout_s)
        except requests.RequestException as error:
            # str(error) would include the URL and with it the token
            raise RasaAPIError(f"对话服务连接失败（{type(error).__name__}）") from None
        if response.status_code in (401, 403):
            raise RasaAPIError(f"对话服务拒绝了请求（HTTP {response.status_code}，检查 RASA_API_TOKEN）")
        if response.status_code >= 400:
            raise RasaAPIError(f"对话服务返回错误（HTTP {response.status_code}）")
        logger.info("appended %d event(s) to conversation %s", len(events), sender_id)
