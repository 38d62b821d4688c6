"""Held-out NLU evaluation: intent accuracy, macro-F1, mode-entity accuracy, confusions.

Usage: python scripts/evaluate_nlu.py [MODEL] [HOLDOUT] [REPORT_JSON]
"""
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import f1_score


def _expected_modes(example) -> list:
    return sorted({e["value"] for e in example.get("entities", []) if e["entity"] == "mode"})


async def evaluate(model_path: str, holdout_path: str) -> dict:
    agent = Agent.load(model_path)
    examples = load_data(holdout_path).intent_examples
    gold, predicted, mode_hits, mode_total, errors = [], [], 0, 0, []
    for example in examples:
        text = example.get("text")
        result = await agent.parse_message(text)
        intent = result["intent"]["name"]
        gold.append(example.get("intent"))
        predicted.append(intent)
        expected = _expected_modes(example)
        found = sorted({e["value"] for e in result["entities"] if e["entity"] == "mode"})
        if expected:
            mode_total += 1
            mode_hits += expected == found
        if intent != example.get("intent") or (expected and expected != found):
            errors.append(
                {
                    "text": text,
                    "expected": example.get("intent"),
                    "predicted": intent,
                    "confidence": round(result["intent"]["confidence"], 3),
                    "expected_modes": expected,
                    "found_modes": found,
                }
            )
    correct = sum(g == p for g, p in zip(gold, predicted))
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    return {
        "examples": len(gold),
        "intent_accuracy": correct / len(gold),
        "intent_macro_f1": f1_score(gold, predicted, average="macro", labels=sorted(set(gold))),
        "mode_accuracy": mode_hits / mode_total if mode_total else None,
        "confusions": [
            {"expected": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common()
        ],
        "errors": errors,
    }


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "models/faq.tar.gz"
    holdout = sys.argv[2] if len(sys.argv) > 2 else "tests/nlu_holdout.yml"
    report = asyncio.run(evaluate(model, holdout))
    if len(sys.argv) > 3:
        Path(sys.argv[3]).parent.mkdir(parents=True, exist_ok=True)
        Path(sys.argv[3]).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    summary = {k: report[k] for k in ("examples", "intent_accuracy", "intent_macro_f1", "mode_accuracy")}
    print(json.dumps(summary, ensure_ascii=False))
    for error in report["errors"]:
        print(json.dumps(error, ensure_ascii=False))


if __name__ == "__main__":
    main()
