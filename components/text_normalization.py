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


# A question, not a statement (`有咩要注意`, `Transparency是干嘛的`, `代运营怎么收费`,
# `版权归谁`), A-not-A included (`是不是`, `有没有`, `要不要`, `适不适合`), and a request for an
# answer (`想问下代运营的费用`, `请问开通流程`).
_QUESTION = re.compile(
    r"[？?]|吗|呢|咩|乜|点解|怎么|怎样|如何|什么|啥|咋|干嘛|哪|谁|多少|为何|为什么|是否|可以.*不|(\w)[不没]\1"
    r"|请问|想问|问一?下|请教|想了解|想知道"
    # `能申请不`, `行不`: a clause ending in 不 after a modal asks; Cantonese `得唔得`, `有冇`
    r"|(?:能|行|可以|会|够|要|有)[^，。,；;！!\s]{0,10}不(?=$|[，。,；;！!~\s])|(\w)唔\2|有冇"
)


# Negated indefinites state, not ask: `还没什么经验`, `一天没多少单`, `广告不怎么投`; nor does
# the 呢 of "not yet" (`品牌还没注册呢`, `还没开账号呢`) or of a state (`正忙着呢`). After 的 it
# asks again: `那还没注册的呢`.
_NOT_ASKING = re.compile(r"[没不](什么|啥|多少|怎么|咋)|还[没未不][^，。,；;！!？?\s的]*呢|着呢")


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(_NOT_ASKING.sub("", to_simplified(text or ""))))


# `88`, `886`, `行吧 88`: goodbye in digits. Rasa's count vectors turn every number into one token,
# so the classifier reads a bare `88` as any figure; only a few characters that close a chat
# (行吧, 算了, 好的, 谢谢) may stand before it (`日均88` is a figure).
_GOODBYE_IN_DIGITS = re.compile(
    r"^(?:(?:[行好嗯算了那先就谢多吧啦的哈拜]{1,4}|ok)[\s，,。!！]*)?"
    r"(?:88|886|8{3,})[!！。.~～]*$",
    re.IGNORECASE,
)


def is_goodbye_in_digits(text: str) -> bool:
    return bool(_GOODBYE_IN_DIGITS.match(normalize_text(text)))


# A hand run along the keyboard's middle row (`asdfjkl;;`, `dsfjkdsjf`): no English word a seller
# would send is 5+ letters of a-s-d-f-g-h-j-k-l alone, and nothing else in the message.
_KEYBOARD_MASH = re.compile(r"^[asdfghjkl;'\s，,。.;；？?！!]*$", re.IGNORECASE)


def is_keyboard_mash(text: str) -> bool:
    text = normalize_text(text)
    return bool(_KEYBOARD_MASH.match(text)) and sum(c.isalpha() for c in text) >= 5


def has_meaningful_text(text: str) -> bool:
    """False for empty, whitespace, emoji-only or punctuation-only messages."""
    return bool(_MEANINGFUL.search(text or ""))
