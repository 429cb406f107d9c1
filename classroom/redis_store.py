"""Rooms in Redis, for app processes on several machines (``DESCENT_LAB_STORE=redis://host:6379/0``).

Keys, under ``prefix`` (default ``descent-lab:``):

- ``room:<code>``: a hash with the room's fields (as ``RoomState``) and ``next_id``;
- ``room:<code>:runs``: a list of runs, each one JSON object;
- ``room:<code>:last:<submitter>``: when that session last submitted.

Every key expires with its room (Redis deletes it; nothing personal outlives
the room's day). What must be atomic (creating a room only if its code is
free, a submission's checks and insert) runs as a Lua script on the server.
"""
from __future__ import annotations

import json

from .store import NoQuestion, RoomClosed, RoomFull, RoomGone, RoomState, Run, Store, StoreDown, TooSoon

TIMEOUT_S = 1.0  # a server that does not answer within this is down: the page must not hang on it

CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'created', ARGV[2], 'expires', ARGV[3], 'closed', 0,
           'view_version', 0, 'view_page', '', 'view_query', '', 'question_version', 0, 'question', '',
           'runs_version', 0, 'next_id', 0)
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
"""
SET_AND_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
"""
CLEAR = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HINCRBY', KEYS[1], 'runs_version', 1)
if ARGV[1] == '1' then
    redis.call('HSET', KEYS[1], 'closed', 1, 'question', '')
    redis.call('HINCRBY', KEYS[1], 'question_version', 1)
end
return 1
"""
# KEYS: room, runs, last; ARGV: now, min_gap_s, max_runs, question_version, expires_ms, submitter, name, params
SUBMIT = """
local room = redis.call('HMGET', KEYS[1], 'expires', 'closed', 'question_version', 'question')
if not room[1] or tonumber(room[1]) <= tonumber(ARGV[1]) then return {'gone'} end
if room[2] == '1' then return {'closed'} end
if room[4] == '' or room[3] ~= ARGV[4] then return {'question'} end
local last = redis.call('GET', KEYS[3])
if last and tonumber(ARGV[1]) - tonumber(last) < tonumber(ARGV[2]) then
    return {'soon', tostring(tonumber(ARGV[2]) - (tonumber(ARGV[1]) - tonumber(last)))}
end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[3]) then return {'full'} end
local id = redis.call('HINCRBY', KEYS[1], 'next_id', 1)
redis.call('RPUSH', KEYS[2], cjson.encode({id = id, at = tonumber(ARGV[1]), submitter = ARGV[6], name = ARGV[7],
                                           params = ARGV[8], question_version = tonumber(ARGV[4])}))
redis.call('PEXPIREAT', KEYS[2], ARGV[5])
redis.call('SET', KEYS[3], ARGV[1], 'PXAT', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'runs_version', 1)
return {'ok', tostring(id)}
"""


class RedisStore(Store):
    def __init__(self, url: str, prefix: str = "descent-lab:"):
        import redis  # only where this store is chosen

        self.url, self.prefix = url, prefix
        self._errors = (redis.exceptions.RedisError, OSError)
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=TIMEOUT_S,
                                           socket_connect_timeout=TIMEOUT_S, retry_on_timeout=False)
        self._create = self.client.register_script(CREATE)
        self._set_and_bump = self.client.register_script(SET_AND_BUMP)
        self._clear = self.client.register_script(CLEAR)
        self._submit = self.client.register_script(SUBMIT)

    def _key(self, code: str, *parts: str) -> str:
        return ":".join((f"{self.prefix}room", code, *parts))

    def _call(self, work):
        try:
            return work()
        except self._errors as exc:
            raise StoreDown(f"Redis store {self._where()}: {exc}") from exc

    def _where(self) -> str:
        kwargs = self.client.connection_pool.connection_kwargs
        return f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"

    # ---- the interface
    def create(self, code, digest, now, expires) -> bool:
        return bool(self._call(lambda: self._create(keys=[self._key(code)],
                                                    args=[digest, repr(now), repr(expires), int(expires * 1000)])))

    def state(self, code):
        def work():
            with self.client.pipeline(transaction=False) as pipe:
                pipe.hgetall(self._key(code))
                pipe.llen(self._key(code, "runs"))
                room, count = pipe.execute()
            return room, count
        room, count = self._call(work)
        if not room:
            return None
        return RoomState(code, float(room["created"]), float(room["expires"]), room["closed"] == "1",
                         int(room["view_version"]), room["view_page"], room["view_query"],
                         int(room["question_version"]), room["question"], int(room["runs_version"]), int(count),
                         room["digest"])

    def push(self, code, page, query):
        version = self._call(lambda: self._set_and_bump(
            keys=[self._key(code)], args=["view_version", "view_page", page, "view_query", query]))
        return None if version is None else int(version)

    def ask(self, code, question):
        version = self._call(lambda: self._set_and_bump(
            keys=[self._key(code)], args=["question_version", "question", question]))
        return None if version is None else int(version)

    def clear(self, code) -> bool:
        return bool(self._call(lambda: self._clear(keys=[self._key(code), self._key(code, "runs")], args=["0"])))

    def close(self, code) -> bool:
        return bool(self._call(lambda: self._clear(keys=[self._key(code), self._key(code, "runs")], args=["1"])))

    def submit(self, code, submitter, name, params, question_version, now, min_gap_s, max_runs) -> int:
        def work():
            expires = self.client.hget(self._key(code), "expires")
            expires_ms = int(float(expires) * 1000) if expires else int(now * 1000) + 1
            return self._submit(
                keys=[self._key(code), self._key(code, "runs"), self._key(code, "last", submitter)],
                args=[repr(now), repr(float(min_gap_s)), int(max_runs), int(question_version), expires_ms,
                      submitter, name, params])
        outcome = self._call(work)
        kind = outcome[0]
        if kind == "ok":
            return int(outcome[1])
        if kind == "soon":
            raise TooSoon(float(outcome[1]))
        raise {"gone": RoomGone, "closed": RoomClosed, "question": NoQuestion, "full": RoomFull}[kind](
            f"room {code}: {kind}")

    def runs(self, code):
        items = self._call(lambda: self.client.lrange(self._key(code, "runs"), 0, -1))
        out = []
        for item in items:
            record = json.loads(item)
            out.append(Run(int(record["id"]), float(record["at"]), record["submitter"], record["name"],
                           record["params"], int(record["question_version"])))
        return out

    def ping(self) -> None:
        self._call(self.client.ping)

    def __repr__(self) -> str:
        return f"RedisStore({self._where()!r})"
