"""GCRA state in Redis, for the distributed deployment: one Lua script per reservation."""

from __future__ import annotations

from typing import Any

from redis import Redis

from surgiai.ratelimit.base import RESOLUTION, Clock, check_limits

# KEYS[1]: the key's TAT. ARGV: interval, burst, max_wait, resolution, now ('' = Redis TIME),
# count (consecutive slots; the wait returned is the first one's).
# Returns {1, wait} when the slot is reserved, {0, wait} when refused. Numbers travel as
# strings: Redis would truncate a Lua number reply to an integer, and Lua's default tostring
# keeps only 14 digits (0.1 ms of an epoch time).
RESERVE_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local resolution = tonumber(ARGV[4])
local now
if ARGV[5] == '' then
    local time = redis.call('TIME')
    now = tonumber(time[1]) + tonumber(time[2]) / 1000000
else
    now = tonumber(ARGV[5])
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
    tat = now
end
local count = tonumber(ARGV[6])
local wait = (tat + interval - now) - burst * interval
if wait > max_wait + resolution then
    return {0, string.format('%.17g', wait)}
end
if wait < resolution then
    wait = 0
end
local new_tat = tat + count * interval
local ttl_ms = math.ceil((new_tat - now) * 1000) + 1
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', ttl_ms)
return {1, string.format('%.17g', wait)}
"""


class RedisRateLimiter:
    """The TAT of each key lives in Redis under `prefix + key`, expiring when it falls in the
    past (an absent key means a full burst). One script does read-compute-write atomically, so
    every worker on every host shares one exact pace. Time is Redis's own clock (`TIME`) unless
    a `clock` is given, so hosts whose clocks drift apart still agree."""

    def __init__(
        self, client: Redis, *, prefix: str = "surgiai:ratelimit:", clock: Clock | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock
        # register_script sends EVALSHA and falls back to loading the script on NOSCRIPT.
        self._reserve = client.register_script(RESERVE_SCRIPT)

    def reserve(
        self, key: str, *, rate_per_second: float, burst: int, max_wait: float, count: int = 1
    ) -> float:
        interval = check_limits(rate_per_second, burst, max_wait, count)
        now = "" if self._clock is None else repr(self._clock())
        reply: Any = self._reserve(
            keys=[self._prefix + key],
            args=[repr(interval), burst, repr(max_wait), repr(RESOLUTION), now, count],
        )
        reserved, wait = int(reply[0]), float(reply[1])
        return wait if reserved else -wait

    def reset(self, key: str) -> None:
        self._client.delete(self._prefix + key)
