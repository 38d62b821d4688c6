"""Held-out NLU evaluation: intent accuracy, macro-F1, mode-entity accuracy, confusions.

Usage: python scripts/evaluate_nlu.py [--model M] [--holdout H] [--report JSON] [--confusion PNG]
"""
import argparse
import asyncio
import json
from collections import Counter
from pathlib import Path

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import f1_score


def _expected_modes(example) -> list:
    return sorted({e["value"] for e in example.get("entities", []) if e["entity"] == "mode"})


async def evaluate(model_path: str, holdout_path: str) -> dict:
    return await evaluate_agent(Agent.load(model_path), holdout_path)


async def evaluate_agent(agent: Agent, holdout_path: str) -> dict:
    """The report for a loaded model (tests evaluate several sets with one load)."""
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
        "gold": gold,
        "predicted": predicted,
        "examples": len(gold),
        "intent_accuracy": correct / len(gold),
        "intent_macro_f1": f1_score(gold, predicted, average="macro", labels=sorted(set(gold))),
        "mode_accuracy": mode_hits / mode_total if mode_total else None,
        "confusions": [
            {"expected": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common()
        ],
        "errors": errors,
    }


def write_confusion_matrix(gold: list, predicted: list, path: Path, title: str) -> None:
    """Rows: the intent the seller meant; columns: what the model said (counts)."""
    import matplotlib

    matplotlib.use("Agg")  # no display
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    matrix = confusion_matrix(gold, predicted, labels=labels)
    figure, axes = plt.subplots(figsize=(11, 10))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected")
    axes.set_title(title)
    for row in range(len(labels)):
        for column in range(len(labels)):
            if matrix[row, column]:
                colour = "white" if matrix[row, column] > matrix.max() / 2 else "black"
                axes.text(column, row, matrix[row, column], ha="center", va="center",
                          fontsize=7, color=colour)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/faq.tar.gz")
    parser.add_argument("--holdout", default="tests/nlu_holdout.yml")
    parser.add_argument("--report", type=Path, help="write the whole report as JSON")
    parser.add_argument("--confusion", type=Path, help="write the confusion matrix as PNG")
    args = parser.parse_args()
    report = asyncio.run(evaluate(args.model, args.holdout))
    if args.confusion:
        write_confusion_matrix(report["gold"], report["predicted"], args.confusion,
                               f"held-out intents: {Path(args.model).name}")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    summary = {k: report[k] for k in ("examples", "intent_accuracy", "intent_macro_f1", "mode_accuracy")}
    print(json.dumps(summary, ensure_ascii=False))
    for error in report["errors"]:
        print(json.dumps(error, ensure_ascii=False))


if __name__ == "__main__":
    main()
