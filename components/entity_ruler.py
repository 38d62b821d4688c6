"""Rasa component: dictionary entities from a spaCy EntityRuler built at train time."""
from typing import Any, Dict, List, Text

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.dictionary_entities import (
    build_entity_nlp,
    extract_entities,
    lexicon_patterns,
)


def entity_values_from_lookups(training_data: TrainingData) -> Dict[str, List[str]]:
    return {table["name"]: table["elements"] for table in training_data.lookup_tables}


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True
)
class DictionaryEntityRuler(GraphComponent):
    """Extracts mode / marketplace / category with canonical values from the lexicon."""

    def __init__(self, model_storage: ModelStorage, resource: Resource, nlp=None):
        self._model_storage = model_storage
        self._resource = resource
        self._nlp = nlp

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DictionaryEntityRuler":
        return cls(model_storage, resource)

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "pypinyin"]

    def train(self, training_data: TrainingData) -> Resource:
        patterns = lexicon_patterns(
            training_data.entity_synonyms, entity_values_from_lookups(training_data)
        )
        self._nlp = build_entity_nlp(patterns)
        with self._model_storage.write_to(self._resource) as directory:
            self._nlp.to_disk(directory / "spacy_pipeline")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "DictionaryEntityRuler":
        with model_storage.read_from(resource) as directory:
            nlp = spacy.load(directory / "spacy_pipeline")
        return cls(model_storage, resource, nlp)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = extract_entities(self._nlp, message.get(TEXT) or "")
            for entity in found:
                entity["extractor"] = self.__class__.__name__
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
