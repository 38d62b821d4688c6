"""Text clean-up applied before tokenising, at train and at predict time alike.

Plain functions, so tests and the action server can use them without Rasa.
"""
import html
import re
import unicodedata
from functools import lru_cache

# Long messages are cut for NLU only (the tracker keeps the seller's full text):
# the head usually carries the question, the tail often repeats it after pasted context.
NLU_HEAD_CHARS = 250
NLU_TAIL_CHARS = 250

_TAG = re.compile(r"<[^<>]{0,200}>")
_SPACES = re.compile(r"\s+")
# CJK ideographs, Latin letters and digits: a message without any of them has nothing to classify.
_MEANINGFUL = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9]")


@lru_cache(maxsize=1)
def _traditional_to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _traditional_to_simplified().convert(text)


def normalize_text(text: str) -> str:
    """NFKC width folding, HTML tags removed, traditional → simplified, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = html.unescape(_TAG.sub(" ", text))
    text = to_simplified(text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > NLU_HEAD_CHARS + NLU_TAIL_CHARS:
        text = f"{text[:NLU_HEAD_CHARS]} {text[-NLU_TAIL_CHARS:]}"
    return text


def has_meaningful_text(text: str) -> bool:
    """False for empty, whitespace, emoji-only or punctuation-only messages."""
    return bool(_MEANINGFUL.search(text or ""))
