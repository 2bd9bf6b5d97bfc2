"""Real servers for tests: the app under eventlet (or gevent) in a subprocess on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What the subprocess runs (from PROJECT_ROOT): the product's entry point, or the same app with the
# test-only routes of tests/hooks.py registered (tests/serve_with_hooks.py).
APP_COMMAND = ("app.py",)
HOOKED_COMMAND = ("-m", "tests.serve_with_hooks")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    process: subprocess.Popen
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        # Always 127.0.0.1: mixing it with localhost splits cookies (DESIGN.md §8).
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    instance_path: Path,
    database_url: str,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
    timeout: float = 30.0,
    *,
    with_hooks: bool = False,
) -> RunningServer:
    """The app on `port`, or on a free one: with tests running in parallel, another worker may take
    a port between our probe and the server's bind; then another free port is tried.

    `with_hooks` serves it through tests/serve_with_hooks.py, with the test-only routes of
    tests/hooks.py (a slow query); otherwise it is app.py, exactly as in production."""
    command = HOOKED_COMMAND if with_hooks else APP_COMMAND
    if port is not None:
        return _start_server(instance_path, database_url, extra_env, port, timeout, command)
    for attempt in range(3):
        try:
            return _start_server(instance_path, database_url, extra_env, free_port(), timeout, command)
        except PortTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class PortTaken(RuntimeError):
    pass


def _start_server(
    instance_path: Path,
    database_url: str,
    extra_env: dict[str, str] | None,
    port: int,
    timeout: float,
    command: tuple[str, ...] = APP_COMMAND,
) -> RunningServer:
    log_path = instance_path / f"server-{port}.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SINERGI_", "DATABASE_URL", "SOCKETIO_"))},
        "SINERGI_INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": database_url,
        "SINERGI_PORT": str(port),
        "SINERGI_HOST": "127.0.0.1",
        "SECRET_KEY": "test-secret-key-for-real-servers",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    log_file = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = RunningServer(process=process, port=port, log_path=log_path, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if "Address already in use" in server.log():
                raise PortTaken(server.log())
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/masuk", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer within {timeout} s:\n{server.log()}")
