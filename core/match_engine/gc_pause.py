"""A pause of Python's cyclic garbage collector for the allocation-heavy parts of a run.

A matching run and its loading build hundreds of thousands of small, acyclic objects
(candidates, reasons, rows, inputs). Each burst of allocations triggers collections that walk
every object still alive, again and again, although reference counting alone frees them.
:func:`gc_paused` switches the collector off for the duration and back on afterwards; cycles
made meanwhile are found by the next collection as usual.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0  # how many pauses are open (nested calls or other threads)
_was_enabled = False  # the collector's state when the first open pause began


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off; it is back on (if it was on) once the last
    open pause, of any thread, ends."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
