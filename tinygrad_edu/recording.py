"""Switches around the engine: ``no_grad`` (record nothing) and a scoped collector pause.

``no_grad`` is per thread: one thread computing values without a graph (a playground session
drawing its decision boundary, say) never stops another from recording.
"""
from __future__ import annotations

import functools
import gc
import threading
from contextlib import contextmanager

__all__ = ["no_grad", "is_recording", "collector_paused", "switch"]


class _Switch(threading.local):
    recording = True  # each thread starts recording; no_grad turns it off for its block


switch = _Switch()
"""The engine reads ``switch.recording`` at every operation."""


class no_grad:
    """``with no_grad():`` (or ``@no_grad()``) — compute values without recording a graph.

    Results are leaves with no parents, so nothing can flow back through them. Nests, and
    restores the previous state on the way out, even after an exception.
    """

    def __enter__(self):
        self._previous = switch.recording
        switch.recording = False
        return self

    def __exit__(self, *exc):
        switch.recording = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)
        return wrapper


def is_recording() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return switch.recording


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for a block, then restore its previous state.

    Graph nodes form no cycles, so the collector has nothing to find in them; but with
    hundreds of thousands of live nodes its periodic scans cost more than the work itself.
    Only whoever found it enabled turns it back on, so overlapping blocks (threads) end with
    the collector as it was before the first of them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
