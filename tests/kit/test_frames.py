from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator

import pytest

from surgiai.kit.frames import current_frame_of


@pytest.fixture
def parked() -> Iterator[threading.Thread]:
    release = threading.Event()

    def park_here() -> None:
        release.wait()

    thread = threading.Thread(target=park_here, daemon=True)
    thread.start()
    yield thread
    release.set()
    thread.join()


def test_the_frame_a_thread_runs_and_none_for_no_thread(parked: threading.Thread) -> None:
    frame = current_frame_of(parked.ident)
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    assert "park_here" in names
    assert current_frame_of(None) is None


@pytest.mark.parametrize("collecting", [True, False])
def test_no_collection_runs_while_the_frames_are_read_and_the_setting_is_kept(
    collecting: bool,
) -> None:
    """A collection inside `sys._current_frames()` can hang CPython 3.11 (gh-106883)."""
    inside: list[bool] = []

    def record(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code is current_frame_of.__code__:
                inside.append(True)
            frame = frame.f_back  # type: ignore[assignment]

    original, thresholds = gc.isenabled(), gc.get_threshold()
    (gc.enable if collecting else gc.disable)()
    gc.callbacks.append(record)
    try:
        gc.set_threshold(1)  # a collection at almost every allocation, if enabled
        for _ in range(50):
            current_frame_of(threading.get_ident())
        assert inside == []
        assert gc.isenabled() is collecting
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*thresholds)
        (gc.enable if original else gc.disable)()
