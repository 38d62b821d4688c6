"""PostgreSQL, Redis and nginx from Debian's packages, run on loopback as plain processes
(never as system services): for `make run-scaled` when DATABASE_URL / REDIS_URL are unset,
and for the tests that need real servers.
"""
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Optional, Sequence

import requests

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: Optional[subprocess.Popen] = None,
                  timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server for port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port} after {timeout_s} s")


def wait_for_http(url: str, processes: Sequence[subprocess.Popen] = (),
                  timeout_s: float = 300, log: Optional[Path] = None) -> None:
    """Returns once GET url answers 200; raises if one of `processes` exits first or time runs
    out, with the end of `log` when given."""
    def tail() -> str:
        return f":\n{log.read_text()[-3000:]}" if log and log.exists() else ""

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{url}: server exited with {process.returncode}{tail()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up in {timeout_s:.0f} s{tail()}")


class _ServerProcess:
    process: Optional[subprocess.Popen] = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class PostgresServer:
    """A PostgreSQL 15 cluster in `directory` (created on first start, kept after). As root,
    the server runs as the `postgres` user, who must be able to reach `directory`."""

    def __init__(self, directory: Path, port: Optional[int] = None):
        self.directory, self.port = Path(directory), port or free_port()
        self.data = self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, command: List[str]) -> None:
        # PostgreSQL refuses to run as root: as root, run it as the `postgres` user
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> "PostgresServer":
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError("PostgreSQL 15 is missing: run `make install`")
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                       "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.directory / "server.log"), "-w", "-o",
                   f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "start"])
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


class RedisServer(_ServerProcess):
    """redis-server on loopback, nothing saved to disk."""

    def __init__(self, port: Optional[int] = None):
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)
        return self


def nginx_config(directory: Path, listen: str, port: int, rasa_ports: List[int]) -> str:
    """One address in front of several Rasa replicas.

    - round robin for REST, Slack and Rasa's HTTP API: any replica can take any message,
      because the conversation is in PostgreSQL and Redis locks it while one replica works;
    - socket.io is sticky by client address (`ip_hash`): its long-polling requests carry a
      session id that only the replica that issued it knows;
    - WeChat by the seller's openid: the numbered options of a reply and the memory of
      retried MsgIds are kept by the replica that sent them.
    """
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in rasa_ports)
    temp = directory / "temp"
    return f"""worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'nginx-error.log'} warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  client_max_body_size 1m;
  upstream rasa_any {{
{servers}    keepalive 32;
  }}
  upstream rasa_sticky {{
    ip_hash;
{servers}  }}
  upstream rasa_by_openid {{
    hash $arg_openid consistent;
{servers}  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  server {{
    listen {listen}:{port};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_read_timeout 60s;
    location / {{
      proxy_set_header Connection "";
      proxy_pass http://rasa_any;
    }}
    location /socket.io/ {{
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_pass http://rasa_sticky;
    }}
    location /webhooks/wechat/ {{
      proxy_set_header Connection "";
      proxy_pass http://rasa_by_openid;
    }}
  }}
}}
"""


class NginxProxy(_ServerProcess):
    def __init__(self, directory: Path, port: int, rasa_ports: List[int], listen: str = "127.0.0.1"):
        self.directory, self.port = Path(directory), port
        self.rasa_ports, self.listen = rasa_ports, listen

    def start(self) -> "NginxProxy":
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "temp").mkdir(exist_ok=True)
        (self.directory / "temp").chmod(0o777)  # nginx's workers may run as nobody
        config = self.directory / "nginx.conf"
        config.write_text(nginx_config(self.directory, self.listen, self.port, self.rasa_ports))
        self.process = subprocess.Popen([NGINX, "-c", str(config), "-p", str(self.directory)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.process)
        return self
