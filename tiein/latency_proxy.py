"""A delaying HTTP proxy in front of localstripe, so that Stripe is as slow as a real one far
away: every call waits `delay` seconds, then is forwarded and its answer passed back. For the
benchmarks and the tests about a slow Stripe; the application never uses it.

`python -m tiein.latency_proxy --upstream http://127.0.0.1:8420 --delay-ms 300 --port 8421`
serves on 127.0.0.1 only. Each forwarded call is recorded (method, path, when it arrived,
when it was answered, on the proxy's monotonic clock): `GET /_proxy/calls` lists them and
`DELETE /_proxy/calls` forgets them, so a test can tell which calls were in flight together.
`start_latency_proxy(upstream, delay, port)` starts it as a child process and waits until it
answers; stop it with `tiein.localstripe.stop_localstripe`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx

# Hop-by-hop headers, and those httpx recomputes (it decodes compressed bodies).
_DROPPED = {
    b"host",
    b"connection",
    b"keep-alive",
    b"content-length",
    b"transfer-encoding",
    b"accept-encoding",
    b"content-encoding",
}


def make_app(upstream: str, delay: float) -> Any:
    """The proxy as a plain ASGI app forwarding to `upstream` after `delay` seconds."""
    client = httpx.AsyncClient(base_url=upstream, timeout=60)
    calls: list[dict[str, Any]] = []

    async def respond(send: Any, status: int, headers: list[Any], body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["path"] == "/_proxy/calls":
            if scope["method"] == "DELETE":
                calls.clear()
            body = json.dumps(calls).encode()
            await respond(send, 200, [(b"content-type", b"application/json")], body)
            return
        arrived = time.monotonic()
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await asyncio.sleep(delay)
        query = scope.get("query_string", b"").decode()
        answer = await client.request(
            scope["method"],
            scope["path"] + (f"?{query}" if query else ""),
            content=b"".join(chunks),
            headers=[(k, v) for k, v in scope["headers"] if k.lower() not in _DROPPED],
        )
        headers = [
            (k.encode(), v.encode())
            for k, v in answer.headers.items()
            if k.lower().encode() not in _DROPPED
        ]
        await respond(send, answer.status_code, headers, answer.content)
        calls.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "arrived": arrived,
                "answered": time.monotonic(),
            }
        )

    return app


def start_latency_proxy(
    upstream: str, delay: float, port: int, *, timeout: float = 20.0
) -> subprocess.Popen[bytes]:
    """Start the proxy on 127.0.0.1:`port` in front of `upstream` and wait until it answers."""
    command = [sys.executable, "-m", "tiein.latency_proxy", "--upstream", upstream]
    command += ["--delay-ms", str(round(delay * 1000)), "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the latency proxy exited with status {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_proxy/calls", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"the latency proxy did not answer on port {port}")
        time.sleep(0.05)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tiein.latency_proxy",
        description="Forward HTTP calls to UPSTREAM after a delay (a slow Stripe).",
    )
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:8420")
    parser.add_argument("--delay-ms", type=int, default=300, help="delay per call (300)")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    args = parser.parse_args(argv)

    import uvicorn

    uvicorn.run(
        make_app(args.upstream, args.delay_ms / 1000),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
