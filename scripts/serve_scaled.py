"""`make run-scaled`: several Rasa replicas behind one address, for when one process is not enough.

- Conversations in PostgreSQL (`DATABASE_URL`, beside the support desk's tables) and each
  conversation locked in Redis (`REDIS_URL`, Rasa's RedisLockStore) while a replica handles
  it, so any replica can take any message. When the variables are unset, a local PostgreSQL
  (cluster in .run/postgres) and Redis are started on loopback and stopped at the end.
- `RASA_REPLICAS` Rasa processes (default 2) on the ports after RASA_PORT; nginx listens on
  RASA_PORT (5005) in front of them (routing: scripts/local_servers.py, `nginx_config`).
- One action server with `ACTION_SERVER_SANIC_WORKERS` workers (default 2), one web app.

Every replica loads the model: about 1.2 GB of memory each.
"""
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from scripts.local_servers import NginxProxy, PostgresServer, RedisServer, wait_for_http

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    env: Dict[str, str] = dict(os.environ)
    run_dir = Path(env.get("RUN_DIR") or ROOT / ".run")
    replicas = int(env.get("RASA_REPLICAS") or 2)
    public_port = int(env.get("RASA_PORT") or 5005)
    listen = env.get("LISTEN_HOST") or "0.0.0.0"
    local_servers = []
    processes: List[subprocess.Popen] = []

    def stop(*_):
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for server in reversed(local_servers):
            server.stop()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if not env.get("DATABASE_URL"):
            postgres = PostgresServer(run_dir / "postgres", int(env.get("PG_PORT") or 0) or None)
            local_servers.append(postgres.start())
            env["DATABASE_URL"] = postgres.url
        if not env.get("REDIS_URL"):
            local_servers.append(RedisServer(int(env.get("REDIS_PORT") or 0) or None).start())
            env["REDIS_URL"] = local_servers[-1].url
        env.setdefault("ACTION_SERVER_SANIC_WORKERS", "2")
        env["RASA_API_TOKEN"] = env.get("RASA_API_TOKEN") or secrets.token_hex(24)
        env["RASA_INTERNAL_URL"] = f"http://127.0.0.1:{public_port}"
        env.setdefault("RASA_PUBLIC_URL", f"http://localhost:{public_port}")
        # one schema migration before the replicas start, not one race per replica
        subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "support.db", "upgrade"],
                       cwd=ROOT, env=env, check=True)

        serve = str(ROOT / "scripts" / "serve.sh")
        processes.append(subprocess.Popen([serve, "actions", "web"], cwd=ROOT, env=env,
                                          start_new_session=True))
        rasa_ports = []
        for replica in range(1, replicas + 1):
            port = int(env.get(f"RASA_REPLICA_{replica}_PORT") or public_port + replica)
            rasa_ports.append(port)
            processes.append(subprocess.Popen(
                [serve, "rasa"], cwd=ROOT, start_new_session=True,
                env={**env, "RASA_PORT": str(port), "RUN_DIR": str(run_dir / f"replica-{replica}")}))
        for port in rasa_ports:
            wait_for_http(f"http://127.0.0.1:{port}/", processes)
        proxy = NginxProxy(run_dir / "nginx", public_port, rasa_ports, listen)
        local_servers.append(proxy.start())
        print(f"scaled: {replicas} Rasa replicas {rasa_ports} behind {listen}:{public_port}, "
              f"conversations in PostgreSQL, locks in Redis", file=sys.stderr, flush=True)
        while all(process.poll() is None for process in processes) and \
                proxy.process.poll() is None:
            time.sleep(1)
        print("a server stopped; stopping the rest", file=sys.stderr)
    finally:
        stop()


if __name__ == "__main__":
    main()
