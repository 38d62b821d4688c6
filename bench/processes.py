"""The assistant's server processes under a launcher, and their memory (Linux /proc)."""
import subprocess
from pathlib import Path
from typing import Dict, List, Optional


def descendants(pid: int) -> List[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                              text=True).stdout.split()
    found: List[int] = []
    for child in map(int, children):
        found += [child] + descendants(child)
    return found


def process_label(pid: int) -> Optional[str]:
    """rasa, action_server or web_app for a server's Python process; None for anything else."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"python" not in Path(arguments[0].decode()).name.encode():
        return None  # the shell that started them
    command = b" ".join(arguments).decode()
    if "run actions" in command:
        return "action_server"
    if "-m webapp" in command:
        return "web_app"
    if "rasa_runtime run" in command or "rasa run" in command:
        return "rasa"
    return None


def memory_mb(pid: int, field: str = "VmRSS") -> int:
    """VmRSS (now) or VmHWM (peak) of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) // 1024
    raise KeyError(field)


def servers(root_pid: int) -> Dict[str, List[int]]:
    found: Dict[str, List[int]] = {}
    for pid in descendants(root_pid):
        label = process_label(pid)
        if label:
            found.setdefault(label, []).append(pid)
    return found


def peak_rss_mb(root_pid: int) -> Dict[str, int]:
    """Peak resident memory (VmHWM) of each server under root_pid, and their total."""
    peaks: Dict[str, int] = {}
    for label, pids in servers(root_pid).items():
        for pid in pids:
            try:
                peaks[label] = peaks.get(label, 0) + memory_mb(pid, "VmHWM")
            except (OSError, KeyError):
                continue
    peaks["total"] = sum(peaks.values())
    return peaks
