"""How the assistant's answers read in WeChat: plain functions, no Rasa, so tests call them
directly.

WeChat text messages have no buttons and no cards. A turn's bot messages become one text:
their texts joined by a blank line (each text is complete on its own: sources, comparison
lines and recommendation reasons are already in it, so `custom` payloads are not rendered),
then the turn's buttons as numbered options the seller answers with a digit. A text longer
than WeChat's limit is split into several messages.
"""
import re
import unicodedata
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

# WeChat's limit for one text message (passive reply or customer-service message), in UTF-8 bytes
MAX_TEXT_BYTES = 2048
# buttons beyond this are left out: a seller answers with one digit
MAX_OPTIONS = 9
OPTIONS_HEADER = "回复数字选择："

# Channel notes (the bot is not asked): WeChat-specific situations, so they live here and
# not in the actions.
NON_TEXT_NOTE = (
    "抱歉，我目前只能看懂文字消息，暂时无法识别图片、语音、视频、位置或链接。"
    "请直接用文字提问，比如“代运营怎么收费？”"
)
BOT_ERROR_NOTE = "抱歉，系统暂时出了点问题，请稍后再问一次。"

_CHOICE = re.compile(r"(\d{1,3})[.、。]?")
# where a long text is best cut, best first: a paragraph, a line, the end of a sentence
_BREAKS = ("\n\n", "\n", "。", "！", "？", "；", "!", "?", ";", "，", ",", " ")


def render_turn(messages: Iterable[Dict]) -> Tuple[str, List[str]]:
    """One text for a turn's bot messages, and the payloads of its numbered options.

    Buttons of all the turn's messages are numbered together (1, 2, ...) after the texts;
    a payload offered twice is listed once.
    """
    texts: List[str] = []
    options: List[Tuple[str, str]] = []
    for message in messages:
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
        for button in message.get("buttons") or []:
            title, payload = button.get("title"), button.get("payload")
            if not title or not payload or any(payload == p for _, p in options):
                continue
            if len(options) < MAX_OPTIONS:
                options.append((str(title), str(payload)))
    text = "\n\n".join(texts)
    if options:
        numbered = "\n".join(f"{i}. {title}" for i, (title, _) in enumerate(options, 1))
        text = f"{text}\n\n{OPTIONS_HEADER}\n{numbered}" if text else f"{OPTIONS_HEADER}\n{numbered}"
    return text, [payload for _, payload in options]


def choose_option(text: Optional[str], options: Sequence[str]) -> Optional[str]:
    """The payload a reply like `1`, `１`, ` 2 ` or `3.` picks from `options`, else None.

    A number outside the list is not a choice: it goes to the bot as typed, where it may
    well be an answer (`30` to "how many orders a day?").
    """
    if not text or not options:
        return None
    match = _CHOICE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    number = int(match.group(1))
    return options[number - 1] if 1 <= number <= len(options) else None


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-8 bytes (whole characters only)."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> List[str]:
    """`text` as messages of at most `limit` UTF-8 bytes each, in order.

    Cuts at a paragraph break when one is in the second half of the allowed length, else
    at a line break, a sentence end or other punctuation, and only as a last resort
    between two characters. Only whitespace at a cut is dropped; no text is lost.
    """
    parts: List[str] = []
    rest = text.strip()
    while utf8_len(rest) > limit:
        window = _prefix_within(rest, limit)
        cut = len(window)
        for mark in _BREAKS:
            at = window.rfind(mark)
            if at >= len(window) // 2:
                # a newline is dropped at the cut; punctuation stays with its sentence
                cut = at if mark.isspace() else at + len(mark)
                break
        cut = cut or 1  # a limit below one character's size: one character per message
        part, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if part:
            parts.append(part)
    if rest:
        parts.append(rest)
    return parts


def cdata_safe(text: str) -> str:
    """Text that can sit inside the CDATA section of a WeChat XML reply."""
    return text.replace("]]>", "]] >")
