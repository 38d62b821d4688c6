"""Dictionary entities (mode, marketplace, category) with a spaCy EntityRuler.

The lexicon is Rasa training data (data/nlu/lexicon.yml): each `synonym` maps surface forms to a
canonical value, and each `lookup` named after an entity lists the canonical values it owns.
Matching is per character on pinyin (token.norm_), so homophone typos typed with a pinyin IME
(代运映, 联合营消) still match. A homophone that cuts a real word in two is a coincidence, not a
typo (有个|互补 sounds like 个护), and is dropped. Plain functions: tests call them without Rasa.
"""
import re
from typing import Dict, Iterable, List, Set

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from components.text_normalization import normalize_text

PINYIN_NORM = "pinyin_norm"
# lexicon words that contain an entity's surface but mean something else (代运费): they win the
# ruler's longest match and are then dropped
NOT_AN_ENTITY = "not_an_entity"
_ASCII_WORD_CHAR = re.compile(r"[A-Za-z0-9]")


@Language.component(PINYIN_NORM)
def pinyin_norm(doc: Doc) -> Doc:
    """Sets each token's NORM to its toneless pinyin (Latin text: lower case)."""
    from pypinyin import lazy_pinyin

    for token in doc:
        token.norm_ = lazy_pinyin(token.text)[0].lower() if token.text.strip() else token.text
    return doc


def lexicon_patterns(
    synonyms: Dict[str, str], entity_values: Dict[str, Iterable[str]]
) -> List[Dict[str, str]]:
    """EntityRuler phrase patterns: one per surface form whose value an entity owns."""
    entity_of_value = {
        value: entity for entity, values in entity_values.items() for value in values
    }
    patterns = []
    for surface, value in synonyms.items():
        entity = entity_of_value.get(value)
        if entity:
            patterns.append(
                {"label": entity, "pattern": normalize_text(surface), "id": value}
            )
    return patterns


def build_entity_nlp(patterns: List[Dict[str, str]]) -> Language:
    """A blank zh pipeline (char segmenter, no model download): pinyin norms, then the ruler."""
    nlp = spacy.blank("zh")
    nlp.add_pipe(PINYIN_NORM)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM"})
    ruler.add_patterns(patterns)
    return nlp


def _inside_latin_word(text: str, start: int, end: int) -> bool:
    """True when a Latin match is part of a longer word ("coop" in "cooperation")."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    edge_is_latin = bool(_ASCII_WORD_CHAR.match(text[start])) or bool(
        _ASCII_WORD_CHAR.match(text[end - 1])
    )
    return edge_is_latin and bool(
        _ASCII_WORD_CHAR.match(before) or _ASCII_WORD_CHAR.match(after)
    )


def _lexicon_surfaces(nlp: Language) -> Set[str]:
    """The ruler's surface forms as written (cached on the pipeline)."""
    surfaces = getattr(nlp, "_lexicon_surfaces", None)
    if surfaces is None:
        patterns = nlp.get_pipe("entity_ruler").patterns
        surfaces = {p["pattern"].lower() for p in patterns if isinstance(p["pattern"], str)}
        nlp._lexicon_surfaces = surfaces
    return surfaces


def _cuts_a_word(text: str, start: int, end: int) -> bool:
    """True when a span starts or ends inside a jieba dictionary word of the text."""
    import jieba

    jieba.dt.check_initialized()
    position = 0
    for word in jieba.lcut(text):
        word_start, word_end = position, position + len(word)
        position = word_end
        if jieba.dt.FREQ.get(word, 0) <= 0:
            continue  # not a dictionary word: an unknown (often misspelt) run of characters
        if word_start < start < word_end or word_start < end < word_end:
            return True
    return False


def extract_entities(nlp: Language, text: str) -> List[Dict]:
    """Entities in Rasa's format, offsets into `text` (already normalised)."""
    entities = []
    for span in nlp(text).ents:
        if span.label_ == NOT_AN_ENTITY:
            continue
        if _inside_latin_word(text, span.start_char, span.end_char):
            continue
        homophone = span.text.lower() not in _lexicon_surfaces(nlp)
        if homophone and _cuts_a_word(text, span.start_char, span.end_char):
            continue
        entities.append(
            {
                "entity": span.label_,
                "value": span.ent_id_,
                "start": span.start_char,
                "end": span.end_char,
                "confidence_entity": 1.0,
            }
        )
    return entities
