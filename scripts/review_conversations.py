"""Plays whole seller conversations against a running assistant and writes a transcript to read.

Each conversation (JSON: `[{"id", "theme", "turns": [{"seller", "expect"}]}]`) runs as one new
seller over the REST channel. The transcript puts, under each seller message, the NLU's reading
(`/model/parse`, needs Rasa's API token), what a good reply would do, and the bot's replies. It
asserts nothing: the expectations are prose, for a person to judge; what it found is fixed and
tested elsewhere.

    RASA_API_TOKEN=review scripts/serve.sh actions rasa &
    RASA_API_TOKEN=review .venv/bin/python -m scripts.review_conversations \\
        tests/review_conversations/sellers_1.json --out reports/review_sellers_1.md
"""
import argparse
import json
import os
import uuid
from pathlib import Path
from typing import Dict, List

import requests

TIMEOUT_S = 60


def reading(rasa_url: str, token: str, text: str) -> str:
    parsed = requests.post(f"{rasa_url}/model/parse", params={"token": token},
                           json={"text": text}, timeout=TIMEOUT_S).json()
    ranking = [f"{r['name']} {r['confidence']:.2f}" for r in parsed.get("intent_ranking", [])[:3]]
    entities = [f"{e['entity']}={e.get('value')}" for e in parsed.get("entities", [])]
    return f"{', '.join(ranking)}; entities: {', '.join(entities) or 'none'}"


def reply_lines(messages: List[Dict]) -> List[str]:
    lines = []
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict):  # the REST channel sends the payload as its own message
            what = custom.get("id") or custom.get("question_type") or custom.get("mode") or ""
            lines.append(f"  - payload: {custom.get('type')} {what}".rstrip())
            continue
        text = (message.get("text") or "").replace("\n", " / ")
        buttons = [b.get("title") for b in message.get("buttons") or []]
        lines.append(f"  - **bot**: {text}" + (f" — buttons: {' | '.join(buttons)}" if buttons else ""))
    return lines or ["  - **bot**: (no reply)"]


def review(conversations: List[Dict], rasa_url: str, token: str) -> str:
    lines = []
    for conversation in conversations:
        sender = f"review-{conversation['id']}-{uuid.uuid4().hex[:8]}"
        lines += ["", f"## {conversation['id']}: {conversation.get('theme', '')}"]
        for turn in conversation["turns"]:
            text = turn["seller"]
            lines += ["", f"**seller:** {text}", f"  - NLU: {reading(rasa_url, token, text)}",
                      f"  - expected: {turn.get('expect', '')}"]
            response = requests.post(f"{rasa_url}/webhooks/rest/webhook",
                                     json={"sender": sender, "message": text}, timeout=TIMEOUT_S)
            response.raise_for_status()
            lines += reply_lines(response.json())
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conversations", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    token = os.environ.get("RASA_API_TOKEN")
    if not token:
        parser.error("set RASA_API_TOKEN to the token the assistant was started with")
    conversations = json.loads(args.conversations.read_text("utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(f"# {args.conversations.name}\n" + review(conversations, args.rasa_url, token),
                        "utf-8")
    print(f"{sum(len(c['turns']) for c in conversations)} turns → {args.out}")


if __name__ == "__main__":
    main()
