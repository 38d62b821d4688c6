"""Plays whole seller conversations against a running assistant and writes a transcript to read.

Each conversation (JSON: `[{"id", "theme", "turns": [{"seller", "expect", "reply"}]}]`) runs as
one new seller over the REST channel. The transcript puts, under each seller message, the NLU's
reading (`/model/parse`, needs Rasa's API token), what a good reply would do, and the bot's
replies. `expect` is prose for a person to judge; `reply` lists the kinds of reply that would be
right (`answer:<entry id>`, `clarification`, `question`, `handoff`, ... see REPLY_KINDS). The kind
the assistant gave is read from the turn's tracker events, and the script reports how many turns
got a right kind. It asserts nothing: a kind can be right and the reply still poor.

    RASA_API_TOKEN=review scripts/serve.sh actions rasa &
    RASA_API_TOKEN=review .venv/bin/python -m scripts.review_conversations \\
        tests/review_conversations/sellers_1.json --out reports/review_sellers_1.md
"""
import argparse
import json
import os
import uuid
from pathlib import Path
from typing import Dict, Iterable, List, Set

import requests

TIMEOUT_S = 60
# a turn's tracker events → kinds of reply: custom payloads by their type, responses by name
_PAYLOAD_KINDS = {"clarification": "clarification", "comparison": "comparison",
                  "recommendation": "recommendation", "handoff": "handoff",
                  "handoff_waiting": "handoff",
                  "disambiguation": "rephrase", "no_content": "rephrase"}
_RESPONSE_KINDS = {"utter_out_of_scope": "out_of_scope", "utter_capabilities": "capabilities",
                   "utter_greet": "greet", "utter_thanks": "thanks", "utter_thanks_in_form": "thanks",
                   "utter_goodbye": "goodbye",
                   "utter_recommendation_stopped": "stopped", "utter_nothing_to_stop": "stopped",
                   "utter_rephrase": "rephrase"}
_ACTION_KINDS = {"action_explain_recommendation": "why"}
REPLY_KINDS = ({"answer", "question", "silent"} | set(_PAYLOAD_KINDS.values())
               | set(_RESPONSE_KINDS.values()) | set(_ACTION_KINDS.values()))


def turn_events(events: List[Dict]) -> List[Dict]:
    """The events after the seller's last message: what the assistant did with it."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return events[last_user + 1:]


def reply_kinds(events: Iterable[Dict]) -> Set[str]:
    """`answer:<entry id>` per answer given, and the other kinds the events show."""
    kinds, spoke = set(), False
    for event in events:
        if event.get("event") == "action" and event.get("name") in _ACTION_KINDS:
            kinds.add(_ACTION_KINDS[event["name"]])
        if event.get("event") != "bot":
            continue
        spoke = True
        custom = (event.get("data") or {}).get("custom")
        if isinstance(custom, dict) and custom.get("type") == "answer":
            kinds.add(f"answer:{custom.get('id')}")
        elif isinstance(custom, dict) and custom.get("type") in _PAYLOAD_KINDS:
            kinds.add(_PAYLOAD_KINDS[custom["type"]])
        response = (event.get("metadata") or {}).get("utter_action") or ""
        if response.startswith("utter_ask_"):  # the questionnaire asks its next question
            kinds.add("question")
        elif response in _RESPONSE_KINDS:
            kinds.add(_RESPONSE_KINDS[response])
    return kinds if spoke else {"silent"}


def reply_is_right(expected: Iterable[str], given: Set[str]) -> bool:
    """Any expected label given; bare `answer` accepts any answer."""
    return any(label in given or (label == "answer" and any(g.startswith("answer:") for g in given))
               for label in expected)


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


def tracker_events(rasa_url: str, token: str, sender: str) -> List[Dict]:
    tracker = requests.get(f"{rasa_url}/conversations/{sender}/tracker",
                           params={"token": token}, timeout=TIMEOUT_S).json()
    return tracker.get("events", [])


def review(conversations: List[Dict], rasa_url: str, token: str) -> tuple:
    """The transcript, and (turns whose reply kind was right, turns labelled with one)."""
    lines, right, labelled = [], 0, 0
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
            if turn.get("reply"):
                given = reply_kinds(turn_events(tracker_events(rasa_url, token, sender)))
                ok = reply_is_right(turn["reply"], given)
                right, labelled = right + ok, labelled + 1
                lines.append(f"  - reply kind: {', '.join(sorted(given))}; right: "
                             f"{' or '.join(turn['reply'])} → {'yes' if ok else '**no**'}")
    return "\n".join(lines) + "\n", right, labelled


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
    transcript, right, labelled = review(conversations, args.rasa_url, token)
    summary = f"reply kind right in {right} of {labelled} labelled turns"
    args.out.write_text(f"# {args.conversations.name}\n\n{summary}\n" + transcript, "utf-8")
    print(f"{sum(len(c['turns']) for c in conversations)} turns, {summary} → {args.out}")


if __name__ == "__main__":
    main()
