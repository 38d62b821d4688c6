"""The channels' memory of recent deliveries (Slack event ids, WeChat MsgIds and options)."""
import time
from collections import OrderedDict
from typing import Any, Callable, Hashable, Tuple

MAX_TRACKED = 10_000


class ExpiringCache:
    """A bounded, time-limited dict: entries expire after `ttl_s`, the oldest go first when
    more than `max_items` are held.

    Process memory, so per Rasa process: the channels' retry detection and WeChat's numbered
    options work as long as the platform reaches the same process. Scaled out
    (`make run-scaled`), nginx routes WeChat by the seller's openid for that reason; Slack's
    retries may reach another replica. Used from the event loop only, so no locking.
    """

    def __init__(self, ttl_s: float, max_items: int = MAX_TRACKED,
                 clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.max_items, self._clock = ttl_s, max_items, clock
        self._items: "OrderedDict[Hashable, Tuple[float, Any]]" = OrderedDict()

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            key, (expires, _) = next(iter(self._items.items()))
            if expires > now and len(self._items) <= self.max_items:
                break
            del self._items[key]

    def get(self, key: Hashable) -> Any:
        self._expire()
        item = self._items.get(key)
        return item[1] if item else None

    def set(self, key: Hashable, value: Any) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self.ttl_s, value)
        self._expire()

    def pop(self, key: Hashable) -> Any:
        item = self._items.pop(key, None)
        return item[1] if item else None

    def __len__(self) -> int:
        self._expire()
        return len(self._items)
