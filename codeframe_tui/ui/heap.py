"""The process's garbage collector, tuned once for a long-lived TUI: what lives at start-up is frozen."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (2_000, 10, 100)  # set once the heap is settled; Python's are (700, 10, 10)
_heap_settled = False


def settle_heap() -> None:
    """Once per process, when the plan is first shown: a full collection, then every object alive
    (the libraries, the SDK, the widgets) frozen out of the garbage collector's sight.

    Textual, Rich and the SDK leave ~220,000 tracked objects; a full collection walked them all every
    few seconds under load, 190-260 ms each on a busy 2-core machine: the screen froze and test lines
    arrived late. Frozen, a full collection takes 10-20 ms; what was alive then and dies later is
    freed by reference counting as usual (only cycles among those few leak, once). The thresholds
    then make collections rarer: the render caches' churn pushed a full one every 4 s under load;
    now the longest pause measured is a 5 ms young collection, and all of them take half the time.
    """
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
