"""Questions staff picked on the review page, written as Rasa NLU training data.

Plain functions: the intents the domain declares, and the YAML for a list of
(text, intent) pairs, ready to save under data/nlu/.
"""
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ROOT / "domain.yml"
MAX_EXAMPLE_CHARS = 500
# Rasa reads `[text](entity)` and `[text]{...}` in an example as an entity annotation
_ANNOTATION = re.compile(r"\[([^\]\n]*)\]\s*([({])")
_SPACES = re.compile(r"\s+")
# what YAML cannot hold (pyyaml's reader refuses these characters)
_NON_PRINTABLE = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


class ExportError(ValueError):
    pass


@lru_cache(maxsize=1)
def domain_intents() -> Tuple[str, ...]:
    """The domain's intents, in its order (entries are names or {name: {...}})."""
    domain = yaml.safe_load(DOMAIN.read_text("utf-8")) or {}
    names = []
    for intent in domain.get("intents") or []:
        names.append(next(iter(intent)) if isinstance(intent, dict) else str(intent))
    return tuple(names)


def example_text(text: str) -> str:
    """One line that Rasa reads back as exactly this plain text: whitespace (newlines too)
    collapsed, and brackets that would read as an entity annotation made full-width
    (the normaliser folds them back before tokenising); characters YAML can't hold dropped."""
    text = _SPACES.sub(" ", _NON_PRINTABLE.sub("", text)).strip()
    return _ANNOTATION.sub(lambda m: f"［{m.group(1)}］{m.group(2)}", text)


def nlu_yaml(pairs: Iterable[Tuple[str, str]], intents: Iterable[str]) -> str:
    """Rasa NLU YAML (`version: "3.1"`), examples grouped by intent in the domain's order,
    duplicates dropped. Raises ExportError for an unknown intent or an empty text."""
    known = list(intents)
    grouped: Dict[str, List[str]] = {}
    for text, intent in pairs:
        if intent not in known:
            raise ExportError(f"未知意图：{intent}")
        line = example_text(text)
        if not line:
            raise ExportError("问题文本不能为空")
        if len(line) > MAX_EXAMPLE_CHARS:
            raise ExportError(f"问题文本最多 {MAX_EXAMPLE_CHARS} 字")
        examples = grouped.setdefault(intent, [])
        if line not in examples:
            examples.append(line)
    if not grouped:
        raise ExportError("没有选中任何问题")
    out = ['version: "3.1"', "nlu:"]
    for intent in sorted(grouped, key=known.index):
        out.append(f"- intent: {intent}")
        out.append("  examples: |")
        out.extend(f"    - {line}" for line in grouped[intent])
    return "\n".join(out) + "\n"
