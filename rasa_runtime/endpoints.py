"""Rasa's endpoints from environment variables, written at start like the channels' credentials.

Single machine (nothing set): conversations in SQLite (`rasa_tracker.db`), locks in memory.
Scale-out (`make run-scaled`): `DATABASE_URL=postgresql://…` puts the conversations in
PostgreSQL beside the support desk's tables, and `REDIS_URL=redis://…` makes Rasa lock each
conversation in Redis (Rasa's RedisLockStore, made atomic: rasa_runtime/lock_store.py), so
several Rasa replicas can serve one conversation in turn.
"""
import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, Mapping
from urllib.parse import urlsplit

import yaml

TRACKER_STORE = "rasa_runtime.tracker_store.BrokerStreamingSQLTrackerStore"
EVENT_BROKER = "support.event_broker.SupportEventBroker"
LOCK_STORE = "rasa_runtime.lock_store.AtomicRedisLockStore"
DEFAULT_TRACKER_STORE_URL = "sqlite:///rasa_tracker.db"


def tracker_store_url(env: Mapping[str, str]) -> str:
    """TRACKER_STORE_URL; else DATABASE_URL when it is a server database; else SQLite."""
    explicit = (env.get("TRACKER_STORE_URL") or "").strip()
    if explicit:
        return explicit
    database = (env.get("DATABASE_URL") or "").strip()
    if database and not database.startswith("sqlite"):
        return database
    return DEFAULT_TRACKER_STORE_URL


def redis_lock_store(redis_url: str) -> Dict[str, Any]:
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, not {parts.scheme!r}")
    path = parts.path.strip("/")
    return {
        "type": LOCK_STORE,
        "url": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(path) if path else 1,
        "password": parts.password,
        "use_ssl": parts.scheme == "rediss",
        "key_prefix": "faq",
    }


def endpoints(env: Mapping[str, str]) -> Dict[str, Any]:
    action_url = (env.get("ACTION_SERVER_URL") or "").strip() or (
        f"http://127.0.0.1:{env.get('ACTION_PORT') or 5055}/webhook")
    config: Dict[str, Any] = {
        "action_endpoint": {"url": action_url},
        # Rasa's SQL store; it also streams exactly the new events to the broker
        "tracker_store": {"type": TRACKER_STORE, "url": tracker_store_url(env)},
        # every event also reaches the support desk: tickets and the dashboard's figures
        "event_broker": {"type": EVENT_BROKER},
    }
    redis_url = (env.get("REDIS_URL") or "").strip()
    if redis_url:
        config["lock_store"] = redis_lock_store(redis_url)
    return config


def describe(config: Mapping[str, Any]) -> str:
    store = urlsplit(config["tracker_store"]["url"]).scheme
    locks = "redis" if "lock_store" in config else "in memory"
    return f"conversations: {store}, locks: {locks}, actions: {config['action_endpoint']['url']}"


def write_private_yaml(path: Path, data: Mapping[str, Any]) -> None:
    """Writes a file Rasa reads at start; readable by its owner only (it may hold secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False))
    path.chmod(0o600)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, required=True, help="endpoints file to write")
    args = parser.parse_args(argv)
    config = endpoints(os.environ)
    write_private_yaml(args.write, config)
    print(describe(config), file=sys.stderr)


if __name__ == "__main__":
    main()
