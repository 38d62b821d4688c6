"""Mode recommendation from data/recommendation/criteria.yml: additive, explainable scoring.

Plain functions: the profile table test and the actions call them without Rasa. A profile maps
field → value; a field missing or None is unanswered, UNKNOWN means the seller skipped it.
"""
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

CRITERIA_FILE = Path(__file__).resolve().parents[1] / "data" / "recommendation" / "criteria.yml"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Criterion:
    id: str
    when: dict
    points: Dict[str, int]
    reason: str
    source: str


@dataclass(frozen=True)
class Criteria:
    modes: Dict[str, str]
    base_scores: Dict[str, int]
    criteria: Tuple[Criterion, ...]
    questions: Dict[str, list]
    max_questions: int
    enough_facts: int
    labels: Dict[str, Dict[str, str]]
    next_steps: Dict[str, dict]
    warnings: Dict[str, str]


@dataclass
class Recommendation:
    mode: str
    scores: Dict[str, int]
    reasons: List[Criterion]  # criteria that raised the recommended mode
    runner_up: str
    runner_up_setbacks: List[Criterion] = field(default_factory=list)  # criteria that lowered it


@lru_cache(maxsize=1)
def load_criteria(path: Path = CRITERIA_FILE) -> Criteria:
    raw = yaml.safe_load(path.read_text("utf-8"))
    return Criteria(
        modes=raw["modes"],
        base_scores=raw.get("base_scores", {}),
        criteria=tuple(Criterion(**c) for c in raw["criteria"]),
        questions=raw["questions"],
        max_questions=raw["max_questions"],
        enough_facts=raw["enough_facts"],
        labels=raw["labels"],
        next_steps=raw["next_steps"],
        warnings=raw["warnings"],
    )


def answered(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def holds(condition: dict, profile: Dict[str, Any]) -> bool:
    """Whether a condition holds; conditions on unanswered or skipped fields never hold."""
    if "all" in condition:
        return all(holds(c, profile) for c in condition["all"])
    value = profile.get(condition["field"])
    if not answered(value):
        return False
    if "below" in condition:
        return value < condition["below"]
    if "at_least" in condition:
        return value >= condition["at_least"]
    if "is" in condition:
        return value == condition["is"]
    if "in" in condition:
        return value in condition["in"]
    if "any_of" in condition:
        return bool(set(value) & set(condition["any_of"]))
    raise ValueError(f"unknown condition {condition}")


def condition_fields(condition: dict) -> List[str]:
    if "all" in condition:
        return [f for c in condition["all"] for f in condition_fields(c)]
    return [condition["field"]]


def scores(profile: Dict[str, Any], criteria: Criteria) -> Tuple[Dict[str, int], List[Criterion]]:
    totals = {mode: criteria.base_scores.get(mode, 0) for mode in criteria.modes}
    fired = [c for c in criteria.criteria if holds(c.when, profile)]
    for criterion in fired:
        for mode, points in criterion.points.items():
            totals[mode] += points
    return totals, fired


def ranking(totals: Dict[str, int], criteria: Criteria) -> List[str]:
    order = list(criteria.modes)
    return sorted(order, key=lambda mode: (-totals[mode], order.index(mode)))


def recommend(profile: Dict[str, Any], criteria: Optional[Criteria] = None) -> Recommendation:
    criteria = criteria or load_criteria()
    totals, fired = scores(profile, criteria)
    best, runner_up = ranking(totals, criteria)[:2]
    return Recommendation(
        mode=best,
        scores=totals,
        reasons=[c for c in fired if c.points.get(best, 0) > 0],
        runner_up=runner_up,
        runner_up_setbacks=[c for c in fired if c.points.get(runner_up, 0) < 0],
    )


def _swing(
    field_name: str, profile: Dict[str, Any], base: Dict[str, int], criteria: Criteria
) -> Dict[str, Tuple[int, int]]:
    """Per mode, the least and most points the field's possible answers could add to `base`."""
    swing = {mode: (0, 0) for mode in criteria.modes}
    for value in criteria.questions[field_name]:
        totals, _ = scores({**profile, field_name: value}, criteria)
        for mode in criteria.modes:
            low, high = swing[mode]
            delta = totals[mode] - base[mode]
            swing[mode] = (min(low, delta), max(high, delta))
    return swing


def enough_facts_known(profile: Dict[str, Any], criteria: Optional[Criteria] = None) -> bool:
    """The seller has told enough (`SC 日均80单 有品牌 年销150万美金 5个人 预算每月2万刀`) to be
    given the recommendation now rather than asked more."""
    criteria = criteria or load_criteria()
    return sum(answered(profile.get(f)) for f in criteria.questions) >= criteria.enough_facts


def questions_still_needed(profile: Dict[str, Any], criteria: Optional[Criteria] = None) -> List[str]:
    """Unanswered questions whose answers could still change the recommendation, the one
    with the largest possible effect first. Bounds treat each field independently."""
    criteria = criteria or load_criteria()
    open_fields = [f for f in criteria.questions if profile.get(f) is None]
    if not open_fields:
        return []
    totals, _ = scores(profile, criteria)
    swings = {f: _swing(f, profile, totals, criteria) for f in open_fields}
    low = {m: totals[m] + sum(swings[f][m][0] for f in open_fields) for m in criteria.modes}
    high = {m: totals[m] + sum(swings[f][m][1] for f in open_fields) for m in criteria.modes}
    leader = ranking(totals, criteria)[0]
    contenders = [m for m in criteria.modes if m != leader and high[m] >= low[leader]]
    if not contenders:
        return []
    in_play = [leader] + contenders
    effect = {
        f: max(swings[f][m][1] - swings[f][m][0] for m in in_play) for f in open_fields
    }
    needed = [f for f in open_fields if effect[f] > 0]
    return sorted(needed, key=lambda f: (-effect[f], list(criteria.questions).index(f)))


def display_value(field_name: str, value: Any, criteria: Criteria) -> str:
    labels = criteria.labels.get(field_name, {})
    if isinstance(value, bool):
        return "有" if value else "没有"
    if isinstance(value, (list, tuple)):
        return "、".join(labels.get(v, v) for v in value)
    if isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return labels.get(value, str(value))


def reason_text(criterion: Criterion, profile: Dict[str, Any], criteria: Criteria) -> str:
    values = {
        f: display_value(f, profile[f], criteria)
        for f in condition_fields(criterion.when)
        if answered(profile.get(f))
    }
    return criterion.reason.format(**values)

