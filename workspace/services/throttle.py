"""Progressive delays for guesses: a key (an account, an address, a typed code) that keeps failing
must wait longer and longer between attempts, instead of being locked out.

A hotel's 65 laptops share one public address, so nothing here locks a whole address or an account:
after `free` failures within the window, the key's next attempt is answered only after 2 s, then
4, 8, … up to `cap` seconds; an attempt made sooner is refused (429) without being tried, and does
not count. A success clears the key. The state lives in the rate limiter's storage (memory in one
process; Redis, shared by every process, when `RATELIMIT_STORAGE_URI` says so), as two counters:
`fails:<key>` (failures in the window) and `wait:<key>`, which exists exactly as long as the key
must wait (its expiry is the moment the next attempt may come).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from workspace.extensions import limiter


@dataclass(frozen=True)
class Policy:
    free: int  # failures within the window before any wait
    cap: float  # the longest wait, in seconds
    window: float = 15 * 60  # failures older than this are forgotten (seconds)
    first_wait: float = 2.0


def _storage() -> Any:
    # Flask-Limiter's storage (limits' MemoryStorage or RedisStorage); untyped in its stubs.
    return limiter.storage


def seconds_to_wait(key: str) -> int:
    """0 if `key` may try now; otherwise how many whole seconds it must still wait."""
    storage = _storage()
    if not storage.get(f"wait:{key}"):
        return 0
    return max(1, math.ceil(storage.get_expiry(f"wait:{key}") - time.time()))


def record_failure(key: str, policy: Policy) -> int:
    """Count a failed attempt; returns the wait (seconds) now imposed on the key (0: none yet)."""
    storage = _storage()
    failures = int(storage.incr(f"fails:{key}", int(policy.window)))
    if failures <= policy.free:
        return 0
    wait = min(policy.cap, policy.first_wait * 2 ** (failures - policy.free - 1))
    storage.clear(f"wait:{key}")
    storage.incr(f"wait:{key}", max(1, math.ceil(wait)))
    return math.ceil(wait)


def record_success(key: str) -> None:
    storage = _storage()
    storage.clear(f"fails:{key}")
    storage.clear(f"wait:{key}")


def within_failure_limit(limits_text: str, key: str) -> bool:
    """Count one failure of `key` against limits such as "60 per minute" (several: "a;b"); False
    once any of them is exceeded. Only failures are counted: what is refused because of them is the
    caller's choice."""
    from limits import parse_many

    strategy: Any = limiter.limiter  # limits' rate-limiting strategy over the same storage
    results = [strategy.hit(item, "failures", key) for item in parse_many(limits_text)]
    return all(results)
