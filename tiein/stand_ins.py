"""What the local stand-ins of `make run` (localstripe, the SMTP sink) share: a listening
socket on 127.0.0.1 bound by the parent and handed to a child process (`--fd`), a child
that dies with its parent (PR_SET_PDEATHSIG on Linux), and a stop that always ends it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence


class PortInUse(RuntimeError):
    """The port a stand-in was asked to listen on is taken."""


def listen_on_loopback(port: int, *, backlog: int = 128) -> socket.socket:
    """A socket listening on 127.0.0.1:`port` (0: a free port); PortInUse when taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise PortInUse(f"127.0.0.1:{port} is already in use ({exc.strerror})") from exc
    return sock


def spawn_on_socket(
    module: str, sock: socket.socket, args: Sequence[str] = (), *, die_with_parent: bool
) -> subprocess.Popen[bytes]:
    """`python -m module --fd N [args]`, serving on `sock` (closed here: the child holds its
    own copy); with `die_with_parent`, it ends when this process does."""
    command = [sys.executable, "-m", module, "--fd", str(sock.fileno()), *args]
    if die_with_parent:
        command += ["--parent-pid", str(os.getpid())]
    try:
        return subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            pass_fds=(sock.fileno(),),
        )
    finally:
        sock.close()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a stand-in: SIGTERM, then SIGKILL after 5 seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def die_with_parent(parent_pid: int) -> None:
    """In the child: have Linux send us SIGTERM when the process that started us dies
    (PR_SET_PDEATHSIG), and stop now if it is already gone: a stand-in never outlives its
    `tiein serve`."""
    if sys.platform.startswith("linux"):
        import ctypes  # only the child process of a stand-in needs it

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent_pid:
        sys.exit(0)


def child_socket(fd: int | None, port: int) -> socket.socket:
    """In the child: the inherited listening socket, or one bound to 127.0.0.1:`port`."""
    return socket.socket(fileno=fd) if fd is not None else listen_on_loopback(port)
