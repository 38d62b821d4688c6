"""Load for the REST channel, from its own process: `python -m bench.load URL …`.

Each simulated seller is one conversation that sends its messages one after the other (a
seller waits for the answer before typing on); `--sellers` conversations in all,
`--concurrency` of them at once (1: sequential latency). Messages are the sellers' messages
of the training data, one intent after another (not the held-out sets, which a load run's logs
would show), so every one goes through NLU, the policies and an action server call. Bounded by `--messages` per seller and by
`--time-limit`; loopback only.
Prints one JSON object: counts, errors, latency percentiles (ms) and messages per second.
"""
import argparse
import asyncio
import json
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlsplit

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
SELLER_MESSAGES = ROOT / "data" / "nlu"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# these hand the conversation to a person, after which the bot rightly stays silent
HANDOFF_INTENTS = {"request_human", "report_urgent_issue"}


def seller_messages(folder: Path = SELLER_MESSAGES) -> List[str]:
    """The plain text of the intent examples in a folder of Rasa NLU files, annotations
    removed, taking one intent after another (so the first few hundred span every intent),
    except those that hand the conversation to a person."""
    by_intent: Dict[str, List[str]] = {}
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text("utf-8")).get("nlu", []):
            intent = block.get("intent")
            if not intent or intent in HANDOFF_INTENTS:
                continue
            for line in block.get("examples", "").splitlines():
                line = line.strip()
                text = ANNOTATION.sub(r"\1", line[2:]).strip() if line.startswith("- ") else ""
                if text:
                    by_intent.setdefault(intent, []).append(text)
    queues = list(by_intent.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def percentiles(latencies_ms: List[float]) -> Dict[str, float]:
    if len(latencies_ms) < 2:
        value = round(latencies_ms[0], 1) if latencies_ms else None
        return {"p50": value, "p95": value, "p99": value}
    cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


async def _seller(session: aiohttp.ClientSession, url: str, messages: List[str], offset: int,
                  count: int, deadline: float, latencies: List[float], errors: List[str],
                  silent: List[str]) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for i in range(count):
        if time.monotonic() >= deadline:
            return
        text = messages[(offset + i) % len(messages)]
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or not isinstance(body, list):
                    errors.append(f"{response.status}: {str(body)[:120]}")
                    continue
                if not body:  # two fallbacks in a row handed the chat to a person
                    silent.append(text)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            errors.append(repr(error)[:160])
            continue
        latencies.append((time.perf_counter() - started) * 1000)


async def run_load(base_url: str, concurrency: int, sellers: int, messages_per_seller: int,
                   time_limit_s: float) -> Dict:
    host = urlsplit(base_url).hostname
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"load goes to loopback only, not {host}")
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    messages = seller_messages()
    latencies: List[float] = []
    errors: List[str] = []
    silent: List[str] = []
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    started = time.monotonic()
    deadline = started + time_limit_s
    at_once = asyncio.Semaphore(concurrency)

    async def one_seller(session: aiohttp.ClientSession, index: int) -> None:
        async with at_once:
            await _seller(session, url, messages, index * messages_per_seller,
                          messages_per_seller, deadline, latencies, errors, silent)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(one_seller(session, i) for i in range(sellers)))
    wall_s = time.monotonic() - started
    return {
        "concurrency": concurrency,
        "sellers": sellers,
        "messages": len(latencies) + len(errors),
        "answered": len(latencies),
        "silent": len(silent),
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_s": round(wall_s, 2),
        "msgs_per_s": round(len(latencies) / wall_s, 2) if wall_s else None,
        **{f"{k}_ms": v for k, v in percentiles(latencies).items()},
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="Rasa's base URL, e.g. http://127.0.0.1:5005")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="sellers at once; 1 = sequential latency")
    parser.add_argument("--sellers", type=int, help="conversations in all (default: concurrency)")
    parser.add_argument("--messages", type=int, default=10, help="messages per seller")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds, at most")
    args = parser.parse_args(argv)
    result = asyncio.run(run_load(args.url, args.concurrency, args.sellers or args.concurrency,
                                    args.messages, args.time_limit))
    json.dump(result, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
