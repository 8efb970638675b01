"""The repository map's two caches: whole maps, by the repository's state and the task (so asking
again costs two git calls), and each file's parsed symbols, by (real path, size, mtime_ns) (so a map
for another task only parses what changed)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from codeframe_tui.engine.repomap.symbols import CacheKey, FileSymbols

MAP_CACHE_SIZE = 32
SYMBOL_CACHE_FILES = 20_000

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small thread-safe LRU: the maps are built in worker threads, two of them at once at times."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


# (real root, HEAD, status digest, focus, budget, secret patterns, ctags or not, the task's words) -> the map's text
MAPS: LRU[tuple[object, ...], str] = LRU(MAP_CACHE_SIZE)
SYMBOL_CACHE: LRU[CacheKey, FileSymbols] = LRU(SYMBOL_CACHE_FILES)


def clear_caches() -> None:
    """Forget every map and parsed file (tests, and a person who wants a fresh map)."""
    MAPS.clear()
    SYMBOL_CACHE.clear()
