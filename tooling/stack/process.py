"""Processes the stack starts, identified by a PID file so `down` stops only what `up` started.

A PID file holds the pid and the program path; a pid whose /proc cmdline no longer names that
program (the pid was reused after a reboot or crash) counts as not running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (we could bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


@dataclass
class ManagedProcess:
    name: str
    run_dir: Path
    log_path: Path
    # Set when this object started the process: between fork and exec the child's cmdline is
    # still ours, so identity by cmdline only applies to processes started by another command.
    _child: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def pid_path(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    def pid(self) -> int | None:
        """The pid of our running process, or None (cleans up a stale PID file)."""
        try:
            record = json.loads(self.pid_path.read_text())
            pid, program = int(record["pid"]), str(record["program"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
        if self._child is not None and self._child.pid == pid:
            if self._child.poll() is None:
                return pid
            self.pid_path.unlink(missing_ok=True)
            return None
        # Right after a start, the child may still be between fork and exec (its cmdline empty
        # or its parent's): give it a moment before calling the pid someone else's.
        for _ in range(40):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                break  # gone
            if ") Z " in stat:
                break  # exited; only waits for its parent to reap it
            if any(program.encode() in part for part in cmdline[:3]):
                return pid
            time.sleep(0.01)
        self.pid_path.unlink(missing_ok=True)
        return None

    def start(self, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            # Own session: the process outlives this command, and `stop` can signal its group.
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **(env or {})}, cwd=cwd,
            )
        self._child = proc
        self.pid_path.write_text(json.dumps({"pid": proc.pid, "program": argv[0], "argv": argv}))
        return proc.pid

    def stop(self, timeout_s: float = 20.0) -> bool:
        """SIGTERM the process group, SIGKILL after `timeout_s`. False if nothing was running."""
        pid = self.pid()
        if pid is None:
            return False
        self._signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._alive(pid):
            time.sleep(0.1)
        if self._alive(pid):
            self._signal(pid, signal.SIGKILL)
            while self._alive(pid):
                time.sleep(0.05)
        self.pid_path.unlink(missing_ok=True)
        return True

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        if ") Z " in stat:
            # Our own child (when started in this process): reap it so it disappears.
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            return False
        return True
