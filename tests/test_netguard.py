"""The suite runs with outbound network blocked; these tests prove the guard bites, here and in subprocesses."""

import os
import socket
import subprocess
import sys

import pytest


def test_outbound_connect_is_blocked(tmp_path, monkeypatch):
    monkeypatch.setenv("NETGUARD_LOG", str(tmp_path / "log"))  # keep this deliberate attempt out of the session log
    with pytest.raises(ConnectionRefusedError, match="network blocked"):
        socket.create_connection(("203.0.113.7", 80), timeout=1)
    with pytest.raises(ConnectionRefusedError, match="network blocked"):
        socket.getaddrinfo("raw.githubusercontent.com", 443)
    assert "203.0.113.7" in (tmp_path / "log").read_text()


def test_loopback_is_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    with server, socket.create_connection(server.getsockname(), timeout=1):
        conn, _ = server.accept()
        conn.close()


def test_subprocesses_are_guarded(tmp_path):
    code = "import socket; socket.create_connection(('198.51.100.1', 443), timeout=1)"
    env_log = tmp_path / "log"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "NETGUARD_LOG": str(env_log)})
    assert proc.returncode != 0 and "network blocked" in proc.stderr
    assert "198.51.100.1" in env_log.read_text()
