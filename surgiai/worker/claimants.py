"""Who holds a claim. Every process that claims work (a webhook delivery to ingest, a message
to send, a doctor's burst to answer) writes its name into the claim: `host:pid:boot`, the id
its heartbeat beats under, with a random token per process start (a restarted container's
main process has the same pid as the one before it).

A claim whose claimant is gone goes back at once instead of when its age says so (2 minutes):
a restarted `surgiai run` finds its predecessor's pid gone on this host, and the sweeper sees
a claimant on another host whose heartbeat stopped."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from surgiai.worker.repository import HeartbeatRepository

# How long a heartbeat (every 15 s) may be silent before its process counts as gone: four
# missed beats, so that a worker busy in a long transaction is neither shown down nor robbed.
ALIVE_WITHIN = timedelta(seconds=60)
_BOOT = secrets.token_hex(4)


def this_claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_BOOT}"


def gone(session: Session, claimants: Iterable[str | None], now: datetime) -> set[str]:
    """Those of `claimants` that no longer exist: their heartbeat went silent, or they ran on
    this host and their process is not running (or its pid now belongs to this process)."""
    names = {name for name in claimants if name}
    me = this_claimant()
    names.discard(me)
    if not names:
        return set()
    beats = HeartbeatRepository(session).last_beats(names)
    host = socket.gethostname()
    dead: set[str] = set()
    for name in names:
        last_beat = beats.get(name)
        if last_beat is not None and now - last_beat > ALIVE_WITHIN:
            dead.add(name)
            continue
        claimant_host, pid = _host_and_pid(name)
        if claimant_host == host and pid is not None and (pid == os.getpid() or not _running(pid)):
            dead.add(name)
    return dead


def _host_and_pid(name: str) -> tuple[str, int | None]:
    parts = name.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return name, None
    return parts[0], int(parts[1])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True
