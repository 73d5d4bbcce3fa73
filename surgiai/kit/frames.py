"""What other threads are running, for diagnostics."""

from __future__ import annotations

import gc
import sys
from types import FrameType


def current_frame_of(thread_ident: int | None) -> FrameType | None:
    """The frame a thread is running now, or None when it is not running.

    CPython 3.11 builds `sys._current_frames()` holding the lock on its list of threads. A
    garbage collection inside it may run Python code (weakref callbacks) that waits for the
    GIL while a thread being started waits for that lock: both hang (CPython gh-106883). So no
    collection runs meanwhile."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        frames = sys._current_frames()
    finally:
        if collecting:
            gc.enable()
    return frames.get(thread_ident or 0)
