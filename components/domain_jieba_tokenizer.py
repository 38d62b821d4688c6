"""Rasa component: jieba with the project's domain vocabulary as its user dictionary.

The vocabulary is training data (every surface form in data/nlu/lexicon.yml plus its
`domain_term` lookup), so Rasa's fingerprinting retrains when it changes; the built-in
JiebaTokenizer's `dictionary_path` files are outside the fingerprint.
"""
import json
from typing import Any, Dict, Iterable, List, Text

import jieba
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.text_normalization import normalize_text

DOMAIN_TERM_LOOKUP = "domain_term"
_WORDS_FILE = "user_words.json"


def domain_words(training_data: TrainingData) -> List[str]:
    words = set(training_data.entity_synonyms)
    for table in training_data.lookup_tables:
        if table["name"] == DOMAIN_TERM_LOOKUP:
            words.update(table["elements"])
    # jieba splits on spaces, so multi-word English terms cannot be single tokens.
    return sorted({normalize_text(w) for w in words if w and " " not in w})


def add_user_words(words: Iterable[str]) -> None:
    for word in words:
        jieba.add_word(word)
        if word.lower() != word:
            jieba.add_word(word.lower())


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True
)
class DomainJiebaTokenizer(JiebaTokenizer):
    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _WORDS_FILE).write_text(
                json.dumps(domain_words(training_data), ensure_ascii=False),
                encoding="utf-8",
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "DomainJiebaTokenizer":
        with model_storage.read_from(resource) as directory:
            add_user_words(json.loads((directory / _WORDS_FILE).read_text("utf-8")))
        return cls(config, model_storage, resource)
