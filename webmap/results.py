"""Screening results kept in memory for a while, so that result pages can be reloaded."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict


class ResultStore:
    """At most ``max_items`` results, each for ``ttl_s`` seconds, keyed by a random token.

    Results are kept in this process only: waitress runs one process with threads, so every
    request sees them; a restart forgets them (the JSON and report can be saved by users).
    """

    def __init__(self, max_items: int = 200, ttl_s: float = 3600):
        self.max_items, self.ttl_s = max_items, ttl_s
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, screening) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._items[token] = (time.monotonic(), screening)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return token

    def get(self, token: str):
        with self._lock:
            item = self._items.get(token)
            if item is None:
                return None
            if time.monotonic() - item[0] > self.ttl_s:
                del self._items[token]
                return None
            return item[1]
