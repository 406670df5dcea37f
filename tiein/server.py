"""Running uvicorn for `tiein serve`: one process, or a supervisor and N worker processes.

uvicorn's standard extras (uvloop, httptools) are used when installed. With more than one
worker the supervisor binds the listening socket itself, and uvicorn creates it with
protocol 0: asyncio then never turns Nagle's algorithm off on the accepted connections, and
every keep-alive response waits ~40 ms for the client's delayed ACK (uvicorn issue #3149).
`TcpConfig` binds a proper TCP socket with TCP_NODELAY set, which accepted connections
inherit, whatever the event loop.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's Config whose pre-bound listening socket has TCP_NODELAY on."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Re-wrap the same descriptor as IPPROTO_TCP: accepted sockets take their protocol
        # from the listener, and asyncio sets TCP_NODELAY only on IPPROTO_TCP sockets.
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)
        return tcp


def run_uvicorn(config: uvicorn.Config) -> bool:
    """Serve until told to stop, as `uvicorn.run` does (one process, or a supervisor with
    `config.workers` processes). Returns False when a single process failed to start."""
    if config.workers > 1:
        sock = config.bind_socket()
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            sock.close()
        return True
    server = uvicorn.Server(config)
    server.run()
    return server.started
