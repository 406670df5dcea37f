"""The app on loopback for the HTTP benchmarks, started and awaited the same way: plain
uvicorn with one worker (`start_uvicorn`), or `tiein serve` itself (`start_serve`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def start_uvicorn(factory: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Serve `factory` ("module:function") with one worker on 127.0.0.1:`port` and wait until
    /healthz answers; SystemExit when it does not within 30 s."""
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    return _wait_until_healthy(process, port, 30)


def start_serve(port: int, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """Run `tiein serve --port PORT ARGS…` (its output discarded) and wait until /healthz
    answers; SystemExit when it does not within 60 s. Stop it with SIGTERM or SIGINT."""
    command = [
        sys.executable, "-c", "import sys; from tiein.cli import main; sys.exit(main())",
        "serve", "--host", "127.0.0.1", "--port", str(port), *args,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _wait_until_healthy(process, port, 60)


def _wait_until_healthy(
    process: subprocess.Popen[bytes], port: int, timeout: float
) -> subprocess.Popen[bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.1)
