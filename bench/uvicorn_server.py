"""One uvicorn worker on loopback for the HTTP benchmarks, started and awaited the same way."""

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
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("uvicorn did not start")
        time.sleep(0.1)
