"""The rule engine and its criteria file, without Rasa; the seller profile table."""
from pathlib import Path

import pytest
import yaml

from actions.recommendation_engine import (
    UNKNOWN,
    condition_fields,
    enough_facts_known,
    load_criteria,
    questions_still_needed,
    reason_text,
    recommend,
)
from actions.recommendation_messages import why_asked_message

PROFILES = Path(__file__).parent / "recommendation_profiles.yml"
CRITERIA = load_criteria()
SAMPLE = {
    "daily_orders": 20, "annual_sales_usd": 1_500_000, "brand_registered": True,
    "marketplaces": ["US", "DE"], "local_team": False, "account_type": "vendor_central",
    "budget_usd": 50_000, "goal": "peak_season", "category": "baby", "partner_brand": True,
    "agency_in_use": True, "new_seller": False,
}


def test_every_criterion_has_a_reason_a_source_and_known_modes_and_fields():
    fields = set(CRITERIA.questions) | {"new_seller"}
    for criterion in CRITERIA.criteria:
        assert criterion.reason and criterion.source, criterion.id
        assert set(criterion.points) <= set(CRITERIA.modes), criterion.id
        assert set(condition_fields(criterion.when)) <= fields, criterion.id
        reason_text(criterion, SAMPLE, CRITERIA)  # every placeholder can be filled


def test_every_mode_has_a_warning_and_a_next_step_and_can_win():
    winners = set()
    for mode in CRITERIA.modes:
        assert CRITERIA.warnings[mode] and CRITERIA.next_steps[mode]
    for profile in yaml.safe_load(PROFILES.read_text("utf-8"))["profiles"]:
        winners.add(recommend(profile["profile"]).mode)
    assert winners == set(CRITERIA.modes)


def test_an_empty_profile_keeps_self_run_and_needs_questions():
    assert recommend({}).mode == "self_run"
    assert questions_still_needed({})


def test_answered_or_skipped_fields_are_never_asked_again():
    profile = {"daily_orders": 10, "local_team": UNKNOWN}
    needed = questions_still_needed(profile)
    assert "daily_orders" not in needed and "local_team" not in needed


def test_six_facts_told_are_enough_and_skipped_ones_do_not_count():
    told = {"daily_orders": 80, "annual_sales_usd": 1_500_000, "brand_registered": True,
            "marketplaces": ["JP"], "local_team": True}
    assert not enough_facts_known(told)
    assert not enough_facts_known({**told, "goal": UNKNOWN})
    assert enough_facts_known({**told, "budget_usd": 20_000})


def test_no_question_is_needed_once_nothing_can_change_the_winner():
    decided = {**SAMPLE, "agency_in_use": True, "partner_brand": True}
    assert questions_still_needed(decided) == []


def test_questions_that_only_concern_ruled_out_modes_are_not_asked():
    # without brand registration co-marketing and Co-Op are out: their questions are moot
    profile = {"brand_registered": False, "daily_orders": 8, "local_team": False, "new_seller": True}
    needed = questions_still_needed(profile)
    assert "account_type" not in needed and "budget_usd" not in needed


@pytest.mark.parametrize(
    "case", yaml.safe_load(PROFILES.read_text("utf-8"))["profiles"], ids=lambda c: c["name"]
)
def test_profile_table(case):
    recommendation = recommend(case["profile"])
    assert recommendation.mode == case["expected"], (case["why"], recommendation.scores)
    assert recommendation.mode == "self_run" or recommendation.reasons


def test_every_question_can_say_why_it_is_asked():
    for field_name in CRITERIA.questions:
        lines = why_asked_message(field_name, CRITERIA)["text"].splitlines()
        facts = [line for line in lines if line.startswith("· ")]
        assert 1 <= len(facts) <= 3, field_name
        assert all("{" not in fact for fact in facts)
