"""Misbehaving clients on real sockets, shared by the server-limit and proxy tests."""

from __future__ import annotations

import socket
import time


def dribble(sock: socket.socket, start: bytes, piece: bytes, every: float, within: float) -> float:
    """Send `start`, then `piece` every `every` s until the server closes; return how long that
    took, or `within` if it never did (so `< within` means the server cut the client off)."""
    sock.sendall(start)
    began = time.monotonic()
    sock.settimeout(every)
    while time.monotonic() - began < within:
        try:
            sock.sendall(piece)
            if sock.recv(65536) == b"":
                return time.monotonic() - began
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - began
    return within
