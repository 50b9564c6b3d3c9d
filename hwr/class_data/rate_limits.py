"""How often a session may do something: passcode tries (a sliding window) and posts to
the class wall (a token bucket)."""

from __future__ import annotations

import threading
import time
from collections import deque


class TryLimiter:
    """At most ``limit`` tries per ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._tries: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Record a try; False when the window is already full."""
        with self._lock:
            now = self.clock()
            while self._tries and now - self._tries[0] >= self.window:
                self._tries.popleft()
            if len(self._tries) >= self.limit:
                return False
            self._tries.append(now)
            return True

    def wait_seconds(self) -> int:
        with self._lock:
            if len(self._tries) < self.limit:
                return 0
            return max(1, round(self.window - (self.clock() - self._tries[0])))


class PostLimiter:
    """About one post per second per session, with a small burst (draw, clear, draw)."""

    def __init__(self, per_second: float = 1.0, burst: int = 3, clock=time.monotonic):
        self.rate, self.burst, self.clock = per_second, burst, clock
        self.tokens, self.last = float(burst), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
