"""A local SMTP sink (aiosmtpd) for `make run` and demos: it accepts every message on
127.0.0.1 and keeps it in a directory (messaging.mail.mailbox), where the staff Outbox page
shows it. Nothing is relayed anywhere. Any local process may write to it, so a message over
`MAX_MESSAGE_BYTES` (10 MB) is refused.

`tiein serve` starts it when TIEIN_SMTP_URL is not set, as it starts localstripe: a child
process (`python -m tiein.smtp_sink --fd N --dir D`) on a loopback port the parent bound and
hands over, that dies with its parent (PR_SET_PDEATHSIG on Linux) and is stopped on every
exit path of `serve`. aiosmtpd comes with the `demo` extra; the app never imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kernel.clock import now_utc
from kernel.db import runtime_path
from messaging.mail.mailbox import MAX_MESSAGE_BYTES, save
from tiein.stand_ins import (
    child_socket,
    die_with_parent,
    listen_on_loopback,
    spawn_on_socket,
    stop_process,
)

MAILBOX_SUFFIX = "mail"  # beside the database: see `kernel.db.runtime_path`


def mailbox_dir(database_url: str) -> Path:
    """Where the sink of the `tiein serve` on `database_url` keeps what it receives."""
    return runtime_path(database_url, MAILBOX_SUFFIX)


def start_sink(
    directory: Path, *, timeout: float = 20.0, die_with_parent: bool = False
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the sink as a child process on a free 127.0.0.1 port, storing into `directory`;
    returns the process and its port once it greets (RuntimeError if it does not)."""
    directory.mkdir(parents=True, exist_ok=True)
    sock = listen_on_loopback(0, backlog=64)
    port = int(sock.getsockname()[1])
    process = spawn_on_socket(
        "tiein.smtp_sink", sock, ["--dir", str(directory)], die_with_parent=die_with_parent
    )
    try:
        wait_until_ready(port, timeout=timeout, process=process)
    except BaseException:
        stop_sink(process)
        raise
    return process, port


def wait_until_ready(
    port: int, *, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait for the sink's 220 greeting on 127.0.0.1:`port`; RuntimeError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the SMTP sink exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
                if conn.recv(512).startswith(b"220"):
                    conn.sendall(b"QUIT\r\n")
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the SMTP sink did not answer on port {port} in {timeout:.0f}s")
        time.sleep(0.05)


def stop_sink(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started by `start_sink`."""
    stop_process(process)


class Keep:
    """aiosmtpd handler: every message is accepted and written to the mailbox."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        save(self.directory, data, now=now_utc())
        return "250 Message accepted for delivery"


async def _serve(sock: socket.socket, directory: Path) -> None:
    from aiosmtpd.smtp import SMTP  # the demo extra: only this child process needs it

    loop = asyncio.get_running_loop()
    handler = Keep(directory)
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="tiein-smtp-sink",
            ident="tiein SMTP sink",
            data_size_limit=MAX_MESSAGE_BYTES,
        ),
        sock=sock,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tiein.smtp_sink",
        description="Accept SMTP on 127.0.0.1 and keep every message in a directory (demo).",
    )
    parser.add_argument("--dir", required=True, help="directory to keep the messages in")
    parser.add_argument("--fd", type=int, help="serve on this listening socket (inherited)")
    parser.add_argument("--port", type=int, default=8025, help="port on 127.0.0.1 (8025)")
    parser.add_argument("--parent-pid", type=int, help="exit when this process dies")
    args = parser.parse_args(argv)
    if args.parent_pid:
        die_with_parent(args.parent_pid)
    sock = child_socket(args.fd, args.port)
    asyncio.run(_serve(sock, Path(args.dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
