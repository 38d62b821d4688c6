from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge_base

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kb():
    return knowledge_base()


@pytest.fixture(scope="session")
def domain() -> Dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def mode_entity(value: str) -> Dict:
    return {"entity": "mode", "value": value, "extractor": "DictionaryEntityRuler"}


def make_tracker(
    intent: str,
    modes: List[str] = (),
    text: str = "",
    slots: Optional[Dict] = None,
    ranking: Optional[List[Dict]] = None,
    entities: List[Dict] = (),
    events: List[Dict] = (),
) -> Tracker:
    """A tracker whose latest message is what the NLU pipeline would have produced."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [mode_entity(m) for m in modes] + list(entities),
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
    }
    return Tracker(
        sender_id="seller-1",
        slots={"mode": None, "question_type": None, **(slots or {})},
        latest_message=latest,
        events=list(events) + [{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
