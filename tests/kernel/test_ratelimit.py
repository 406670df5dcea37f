"""Token buckets (SPEC §11): a key spends up to `capacity` points, refilled at `rate` a
second; a take that does not fit changes nothing and says when it would. The same rules hold
in process memory and in Redis, where every worker shares the buckets and concurrent takes
never overspend."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable

import pytest

from kernel.ratelimit import (
    BucketUnavailable,
    MemoryBucket,
    RedisBucket,
    TokenBucket,
    bucket_for,
    client_network,
)

T0 = 1_800_000_000.0  # a fixed wall-clock time
MakeBucket = Callable[[int, float], TokenBucket]


@pytest.fixture(params=["memory", "redis"])
async def make_bucket(request: pytest.FixtureRequest) -> AsyncIterator[MakeBucket]:
    made: list[TokenBucket] = []

    def make(capacity: int, rate: float) -> TokenBucket:
        if request.param == "memory":
            bucket: TokenBucket = MemoryBucket(capacity, rate)
        else:
            prefix = request.getfixturevalue("redis_prefix")
            url = request.getfixturevalue("redis_url")
            bucket = RedisBucket.from_url(url, capacity, rate, prefix=prefix)
        made.append(bucket)
        return bucket

    yield make
    for bucket in made:
        await bucket.close()


async def test_a_bucket_starts_full_and_refuses_what_it_does_not_hold(
    make_bucket: MakeBucket,
) -> None:
    bucket = make_bucket(100, 10)
    assert await bucket.take("a", 60, T0) == (True, 40, 0)
    refused = await bucket.take("a", 50, T0)
    assert refused == (False, 40, 1.0)  # 10 more points come back in one second
    assert await bucket.take("a", 40, T0) == (True, 0, 0)  # the refusal spent nothing
    assert (await bucket.take("b", 100, T0)).allowed  # each key has its own bucket


async def test_points_come_back_over_time_up_to_the_capacity(make_bucket: MakeBucket) -> None:
    bucket = make_bucket(100, 10)
    assert (await bucket.take("a", 100, T0)).allowed
    allowed, available, _ = await bucket.take("a", 25, T0 + 2.5)
    assert (allowed, available) == (True, 0)
    assert (await bucket.take("a", 1, T0 + 1000)).available == 99  # never above capacity
    # a worker whose clock is behind does not refill backwards (nor twice)
    assert (await bucket.take("a", 1, T0 + 999)).available == 98


async def test_a_cost_above_the_capacity_never_fits(make_bucket: MakeBucket) -> None:
    bucket = make_bucket(100, 10)
    allowed, available, retry_after = await bucket.take("a", 101, T0)
    assert (allowed, available, math.isinf(retry_after)) == (False, 100, True)


async def test_concurrent_takes_never_overspend(make_bucket: MakeBucket) -> None:
    bucket = make_bucket(20, 0.001)
    results = await asyncio.gather(*(bucket.take("a", 1, T0) for _ in range(50)))
    assert sum(r.allowed for r in results) == 20


async def test_workers_share_buckets_through_redis(redis_url: str, redis_prefix: str) -> None:
    """Two workers (two clients) spend from one bucket; another prefix is another store."""
    one = RedisBucket.from_url(redis_url, 100, 10, prefix=redis_prefix)
    two = RedisBucket.from_url(redis_url, 100, 10, prefix=redis_prefix)
    other = RedisBucket.from_url(redis_url, 100, 10, prefix=redis_prefix + "other:")
    try:
        assert (await one.take("token:1", 70, T0)).allowed
        assert await two.take("token:1", 70, T0) == (False, 30, 4.0)
        assert (await other.take("token:1", 70, T0)).allowed
    finally:
        for bucket in (one, two, other):
            await bucket.close()


async def test_an_unreachable_redis_is_reported_as_such() -> None:
    bucket = RedisBucket.from_url("redis://127.0.0.1:1/0", 100, 10)
    try:
        with pytest.raises(BucketUnavailable):
            await bucket.take("a", 1, T0)
    finally:
        await bucket.close()


async def test_idle_memory_buckets_are_forgotten_once_full_again() -> None:
    bucket = MemoryBucket(100, 10)
    for n in range(MemoryBucket.PRUNE_EVERY - 1):
        await bucket.take(f"address:{n}", 5, T0)
    assert len(bucket) == MemoryBucket.PRUNE_EVERY - 1
    await bucket.take("late", 5, T0 + 10)  # 10 s refill the others completely
    assert len(bucket) == 1


def test_the_store_follows_the_settings(redis_url: str) -> None:
    assert bucket_for(0, 10) is None
    assert isinstance(bucket_for(100, 10), MemoryBucket)
    shared = bucket_for(100, 10, redis_url)
    assert isinstance(shared, RedisBucket)
    asyncio.run(shared.close())


@pytest.mark.parametrize(
    ("host", "counted_as"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same subscriber
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped: the IPv4 address
        ("testclient", "testclient"),
    ],
)
def test_per_client_limits_count_an_ipv6_subscriber_by_its_64(host: str, counted_as: str) -> None:
    assert client_network(host) == counted_as
