"""Fixes to Rasa 3.6's message path, installed by `python -m rasa_runtime` before Rasa starts.

Each one was found by profiling a seller's message (cProfile over 100 REST-like turns) and is
kept as small as the fix allows:

- `RemoteAction._validate_action_result` calls `jsonschema.validate`, which re-checks Rasa's
  whole event schema against the JSON-Schema meta-schema on every action call (about 40 % of a
  turn). The schema never changes, so it is checked once and its validator reused.
- `Event.resolve_by_type` walks every Event subclass for every stored event when a tracker is
  loaded (most of the tracker store's read time). Event types are fixed once Rasa is imported,
  so the name → class map is built once.

And two for failures:

- When the action server is down or fails, Rasa logs the error and the seller hears nothing.
  `RemoteAction.run` now answers with `utter_service_unavailable` from the domain instead; the
  seller's message is in the tracker already, and the next one is handled normally once the
  action server is back.
- When the conversation database is down, Rasa's `FailSafeTrackerStore` carries on with an
  empty conversation kept in memory: the seller's context is silently lost, and what they say
  then lives only in that process. Here the error goes up instead, as `DatabaseUnavailable`:
  the REST channel answers 503 ("send it again"), and nothing is stored half-way.
"""
import functools
import logging
from typing import Any, Dict, Optional, Text, Type

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.agent import Agent
from rasa.core.actions.action import (ActionExecutionRejection, RemoteAction,
                                     create_bot_utterance)
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.exceptions import RasaException

from support.db import DatabaseUnavailable

logger = logging.getLogger(__name__)

SERVICE_UNAVAILABLE_RESPONSE = "utter_service_unavailable"  # its text is in domain.yml

_installed = False


@functools.lru_cache(maxsize=1)
def _action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


def _event_classes_by_type() -> Dict[Text, Type[Event]]:
    from rasa.shared.utils.common import all_subclasses

    classes: Dict[Text, Type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)  # first match wins, as in Rasa's loop
    return classes


def _resolve_by_type_cached(original):
    classes: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None):
        if not classes:
            classes.update(_event_classes_by_type())
        found = classes.get(type_name)
        return found if found is not None else original(type_name, default)

    return staticmethod(resolve_by_type)


def _apologise_when_actions_fail(original_run):
    async def run(self: RemoteAction, output_channel, nlg, tracker, domain):
        try:
            return await original_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form rejecting a slot: Rasa's own flow
        except (RasaException, ValidationError) as error:
            logger.error("custom action %s failed, the seller gets an apology: %s",
                         self.name(), error)
            draft = await nlg.generate(SERVICE_UNAVAILABLE_RESPONSE, tracker,
                                       output_channel.name())
            if not draft:
                return []  # a domain without the response: Rasa's own silence
            draft["utter_action"] = SERVICE_UNAVAILABLE_RESPONSE
            return [create_bot_utterance(draft)]

    return run


def _raise_store_error(error: Exception) -> None:
    raise DatabaseUnavailable(f"conversation store unavailable: {error}") from error


def _tracker_store_errors_surface(create_tracker_store):
    def create(store, domain):
        fail_safe = create_tracker_store(store, domain)
        fail_safe._on_tracker_store_error = _raise_store_error  # called from its except blocks
        return fail_safe

    return staticmethod(create)


def install() -> None:
    global _installed
    if _installed:
        return
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = _resolve_by_type_cached(Event.resolve_by_type)
    RemoteAction.run = _apologise_when_actions_fail(RemoteAction.run)
    Agent._create_tracker_store = _tracker_store_errors_surface(Agent._create_tracker_store)
    _installed = True
