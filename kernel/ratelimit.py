"""Token buckets: a key may spend up to `capacity` points, refilled at `rate` points a second
(the leaky bucket Shopify's API uses for query cost; SPEC §11, DESIGN §6).

    bucket = MemoryBucket(capacity=50_000, rate=2_500)
    allowed, available, retry_after = await bucket.take("token:7", cost=2151, now=time.time())

A take that does not fit leaves the bucket as it was and says how many seconds until it
would (`math.inf` when the cost is above the capacity). `MemoryBucket` serves one process;
`RedisBucket` is shared by every worker and machine that uses the same Redis, each take one
atomic Lua script, so concurrent takes never overspend. Times are wall-clock seconds
(`time.time()`), so workers on several machines need synchronized clocks (NTP); a worker
whose clock runs behind never refills a bucket backwards. Used by the /graphql cost budget,
and written to serve other throttles (e.g. sign-in attempts) as they are.
"""

from __future__ import annotations

import ipaddress
import math
from typing import NamedTuple, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError


class BucketUnavailable(Exception):
    """The shared store did not answer; the caller decides whether to let the request by."""


class Take(NamedTuple):
    allowed: bool
    available: float  # points left after the take (or still there, when refused)
    retry_after: float  # seconds until `cost` points are there; 0 when allowed


class TokenBucket(Protocol):
    capacity: int
    rate: float

    async def take(self, key: str, cost: int, now: float) -> Take:
        """Spend `cost` points of `key`'s bucket if it holds them (it starts full)."""
        ...

    async def close(self) -> None: ...


def _retry_after(cost: float, available: float, capacity: int, rate: float) -> float:
    if cost > capacity:
        return math.inf
    return max(0.0, (cost - available) / rate)


class MemoryBucket:
    """Buckets of one process. A bucket that has had time to refill completely is dropped
    (it is the same as a new one), so idle keys do not pile up."""

    PRUNE_EVERY = 1024

    def __init__(self, capacity: int, rate: float) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("A bucket needs a positive capacity and refill rate.")
        self.capacity = capacity
        self.rate = rate
        self._levels: dict[str, tuple[float, float]] = {}  # key -> (points, as of)
        self._takes = 0

    def __len__(self) -> int:
        return len(self._levels)

    async def take(self, key: str, cost: int, now: float) -> Take:
        level, as_of = self._levels.get(key, (float(self.capacity), now))
        if now > as_of:
            level, as_of = min(float(self.capacity), level + (now - as_of) * self.rate), now
        if cost <= level:
            level -= cost
            result = Take(True, level, 0.0)
        else:
            result = Take(False, level, _retry_after(cost, level, self.capacity, self.rate))
        self._levels[key] = (level, as_of)
        self._takes += 1
        if self._takes % self.PRUNE_EVERY == 0:
            self._prune(now)
        return result

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.rate
        for key, (_, as_of) in list(self._levels.items()):
            if now - as_of >= full_after:
                del self._levels[key]

    async def close(self) -> None:
        self._levels.clear()


# KEYS[1] the bucket; ARGV capacity, rate, cost, now. Returns {allowed, level, retry_after}
# (numbers as strings: Redis would cut Lua numbers to integers). A bucket expires once it
# would be full again, so Redis holds only the buckets in use.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'level', 'as_of')
local level = tonumber(state[1]) or capacity
local as_of = tonumber(state[2]) or now
if now > as_of then
  level = math.min(capacity, level + (now - as_of) * rate)
  as_of = now
end
local allowed = 0
if cost <= level then
  level = level - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'as_of', tostring(as_of))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / rate * 1000) + 1000)
return {allowed, tostring(level)}
"""


class RedisBucket:
    """Buckets shared through Redis (redis-py's asyncio client); `prefix` namespaces the
    keys, so tests and installations can share a server."""

    def __init__(
        self, client: Redis, capacity: int, rate: float, *, prefix: str = "tiein:bucket:"
    ) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("A bucket needs a positive capacity and refill rate.")
        self.client = client
        self.capacity = capacity
        self.rate = rate
        self.prefix = prefix
        self._script = client.register_script(_TAKE)

    @classmethod
    def from_url(
        cls, url: str, capacity: int, rate: float, *, prefix: str = "tiein:bucket:"
    ) -> RedisBucket:
        return cls(Redis.from_url(url), capacity, rate, prefix=prefix)

    async def take(self, key: str, cost: int, now: float) -> Take:
        try:
            allowed, level = await self._script(
                keys=[self.prefix + key], args=[self.capacity, self.rate, cost, repr(now)]
            )
        except (RedisError, OSError) as exc:
            raise BucketUnavailable(str(exc)) from exc
        available = float(level)
        if int(allowed):
            return Take(True, available, 0.0)
        return Take(False, available, _retry_after(cost, available, self.capacity, self.rate))

    async def close(self) -> None:
        await self.client.aclose()


def bucket_for(capacity: int, rate: float, redis_url: str = "") -> TokenBucket | None:
    """The bucket store of an installation: shared through Redis when `redis_url` is set,
    in process memory otherwise; None when `capacity` is 0 or less (no budget)."""
    if capacity <= 0:
        return None
    if redis_url:
        return RedisBucket.from_url(redis_url, capacity, rate)
    return MemoryBucket(capacity, rate)


def client_network(host: str) -> str:
    """Whom a per-client bucket counts: an IPv4 address, or the /64 of an IPv6 one (one
    subscriber is given a whole /64 and may use any of its 2**64 addresses; found by a
    hostile review). Used by every per-address limit: e-mail links, sign-in, GraphQL."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)
