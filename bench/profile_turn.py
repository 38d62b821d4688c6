"""Where the time of one seller message goes: `python -m bench.profile_turn MODEL ACTION_URL`.

Loads the model in this process as `rasa run` does (same endpoints, same patches), times each
stage of Rasa's message path by wrapping it, and sends seller questions through it in
conversations of 10. Needs a running action server. Prints JSON: mean ms per message of
each stage, and the rest (Rasa's own bookkeeping between stages).
"""
import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict

STAGES = {
    "nlu": ("rasa.core.processor", "MessageProcessor", "parse_message"),
    "tracker_load": ("rasa_runtime.tracker_store", "BrokerStreamingSQLTrackerStore", "retrieve"),
    "tracker_save": ("rasa_runtime.tracker_store", "BrokerStreamingSQLTrackerStore", "save"),
    "policies": ("rasa.core.processor", "MessageProcessor", "_predict_next_with_tracker"),
    "action_server": ("rasa.core.actions.action", "RemoteAction", "run"),
}


def _timed(totals: Dict[str, float], stage: str, function):
    if asyncio.iscoroutinefunction(function):
        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                totals[stage] += time.perf_counter() - started
    else:
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[stage] += time.perf_counter() - started
    return wrapper


async def profile(model: str, action_url: str, conversations: int, turns: int) -> Dict:
    import importlib

    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints
    import yaml

    from bench.load import seller_messages
    from rasa_runtime import endpoints as runtime_endpoints, patches

    patches.install()
    totals: Dict[str, float] = defaultdict(float)
    for stage, (module, cls, method) in STAGES.items():
        owner = getattr(importlib.import_module(module), cls)
        setattr(owner, method, _timed(totals, stage, getattr(owner, method)))

    workdir = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    env = {**os.environ, "ACTION_SERVER_URL": action_url,
           "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
           "DATABASE_URL": f"sqlite:///{workdir / 'support.db'}"}
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]  # read by the event broker
    from support.db import upgrade

    upgrade(env["DATABASE_URL"])
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(runtime_endpoints.endpoints(env)))
    agent = await load_agent(model_path=model,
                             endpoints=AvailableEndpoints.read_endpoints(
                                 str(workdir / "endpoints.yml")))
    messages = seller_messages()
    for text in messages[:5]:  # warm-up: first calls build TensorFlow's graphs
        await agent.handle_message(UserMessage(text, CollectingOutputChannel(), "warm-up"))
    totals.clear()
    count, started = 0, time.perf_counter()
    for conversation in range(conversations):
        for turn in range(turns):
            text = messages[(conversation * turns + turn) % len(messages)]
            await agent.handle_message(
                UserMessage(text, CollectingOutputChannel(), f"profile-{conversation}"))
            count += 1
    total_ms = (time.perf_counter() - started) * 1000 / count
    per_message = {stage: round(totals[stage] * 1000 / count, 2) for stage in STAGES}
    # tracker_save includes streaming the new events to the broker
    per_message["rest_of_rasa"] = round(total_ms - sum(per_message.values()), 2)
    return {"messages": count, "total_ms": round(total_ms, 2), "stages_ms": per_message}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("action_url", help="e.g. http://127.0.0.1:5055/webhook")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args(argv)
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    result = asyncio.run(profile(args.model, args.action_url, args.conversations, args.turns))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
