from __future__ import annotations

import json
import os
import socket
import sys

from tooling.stack.process import ManagedProcess, port_free


def test_start_identify_and_stop(tmp_path):
    mp = ManagedProcess("sleeper", tmp_path / "run", tmp_path / "logs" / "sleeper.log")
    # The child sleeps to be a process that runs until it is stopped (the test stops it at once).
    pid = mp.start([sys.executable, "-c", "import time; print('hi', flush=True); time.sleep(60)"])
    assert mp.pid() == pid
    # Another command (a fresh object, as in `hotline down`) finds it by PID file and cmdline.
    other = ManagedProcess("sleeper", tmp_path / "run", tmp_path / "logs" / "sleeper.log")
    assert other.pid() == pid
    assert other.stop(timeout_s=5) is True
    assert other.pid() is None
    assert not (tmp_path / "run" / "sleeper.pid").exists()
    assert other.stop() is False


def test_pid_file_of_another_program_is_stale(tmp_path):
    (tmp_path / "run").mkdir()
    # Our own pid is alive but is not the recorded program: a reused pid, never to be killed.
    (tmp_path / "run" / "x.pid").write_text(json.dumps({"pid": os.getpid(), "program": "/usr/sbin/not-this"}))
    mp = ManagedProcess("x", tmp_path / "run", tmp_path / "x.log")
    assert mp.pid() is None
    assert mp.stop() is False
    assert not (tmp_path / "run" / "x.pid").exists()


def test_port_free():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert port_free("127.0.0.1", port) is False
    assert port_free("127.0.0.1", port) is True
