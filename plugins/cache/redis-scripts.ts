// The Lua scripts that make a tagged write, a compare-and-set or a purge one atomic round trip, its invalidation included.
import { createHash } from 'node:crypto';
import type { RedisClient } from './stores.js';

/**
 * Publishes the invalidation only when some other node listens (PUBSUB NUMSUB counts this node's own subscription
 * when `listening` is 1), and answers -1 when none does: the node then sends its untagged writes bare until a node
 * greets (see InvalidationBus.alone). A node that subscribes later greets before it keeps copies, so it misses nothing.
 */
const NOTIFY = `
local function notify(channel, listening, message)
  if redis.call('PUBSUB', 'NUMSUB', channel)[2] <= tonumber(listening) then return -1 end
  return redis.call('PUBLISH', channel, message)
end
`;

/**
 * KEYS: the entry, then the tag sets it joins. ARGV: serialized entry, ttl ms (0: none), mode (`set`, `nx`: only
 * if empty, `cas`: only if still equal to ARGV[4]), expected, channel, listening, message.
 * Answers {stored, receivers (-1: nobody else listens)}. A tag set lives as long as its longest-lived member, so
 * sets of expired keys vanish.
 */
const WRITE = `
local key, ttl, mode = KEYS[1], tonumber(ARGV[2]), ARGV[3]
if mode == 'nx' and redis.call('EXISTS', key) == 1 then return {0, 0} end
if mode == 'cas' and redis.call('GET', key) ~= ARGV[4] then return {0, 0} end
if ttl > 0 then redis.call('SET', key, ARGV[1], 'PX', ttl) else redis.call('SET', key, ARGV[1]) end
for i = 2, #KEYS do
  local existed = redis.call('EXISTS', KEYS[i])
  redis.call('SADD', KEYS[i], key)
  if ttl == 0 then redis.call('PERSIST', KEYS[i])
  else
    local left = redis.call('PTTL', KEYS[i])
    if existed == 0 or (left >= 0 and left < ttl) then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return {1, notify(ARGV[5], ARGV[6], ARGV[7])}
`;

/**
 * KEYS: the tag set. ARGV: the tag as keyv serialized it, channel, listening, message prefix. Deletes the members whose entry
 * still carries the tag (a key re-set without it stays), drops the set, and publishes the purged keys.
 * Answers {receivers (-1: nobody else listens), purged keys}.
 */
const PURGE = `
local purged = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local raw = redis.call('GET', key)
  if raw then
    local ok, data = pcall(cjson.decode, raw)
    if ok and type(data) == 'table' and type(data.value) == 'table' and type(data.value.t) == 'table' then
      for _, tag in ipairs(data.value.t) do
        if tag == ARGV[1] then
          redis.call('DEL', key)
          purged[#purged + 1] = key
          break
        end
      end
    end
  end
end
redis.call('DEL', KEYS[1])
local receivers = 0
if #purged > 0 then receivers = notify(ARGV[2], ARGV[3], ARGV[4] .. cjson.encode(purged)) end
return {receivers, purged}
`;

/**
 * A turn's reads, each app's within its read budget (read-budget.ts): MGET would send back every value however
 * large, and a thousand copies of one big value would exhaust the node's memory. KEYS: the keys. ARGV: the largest
 * value an app may store, the number of budgets, the bytes left in each, then each key's budget (0: none), left out
 * when all keys share the one budget. Keys go in runs of one budget, as many at once (one MGET) as it has room for
 * values of the largest size; a budget with less room left sizes a value (STRLEN) before fetching it, so what does
 * not fit is never fetched. A value past its budget answers -1 and is not sent; a missing key answers nil.
 */
const READ = `
local largest, budgets = tonumber(ARGV[1]), tonumber(ARGV[2])
local left = {}
for b = 1, budgets do left[b] = tonumber(ARGV[2 + b]) end
local single = #ARGV == 2 + budgets
local function group(i)
  if single then return 1 end
  return tonumber(ARGV[2 + budgets + i])
end
local function fits(b, value)
  if b == 0 or not value then return value end
  if #value > left[b] then return -1 end
  left[b] = left[b] - #value
  return value
end
local values = {}
local i, n = 1, #KEYS
while i <= n do
  local b = group(i)
  local room = 512
  if b > 0 then room = math.min(room, math.floor(left[b] / largest)) end
  if room >= 1 then
    local j = i
    while j < n and j - i + 1 < room and group(j + 1) == b do j = j + 1 end
    local found = redis.call('MGET', unpack(KEYS, i, j))
    for k = 1, j - i + 1 do values[i + k - 1] = fits(b, found[k]) end
    i = j + 1
  else
    if redis.call('STRLEN', KEYS[i]) <= left[b] then values[i] = fits(b, redis.call('GET', KEYS[i])) else values[i] = -1 end
    i = i + 1
  end
end
return values
`;

const SOURCES = { write: NOTIFY + WRITE, purge: NOTIFY + PURGE, read: READ } as const;
export type ScriptName = keyof typeof SOURCES;

const SHAS = Object.fromEntries(Object.entries(SOURCES).map(([name, source]) => [name, createHash('sha1').update(source).digest('hex')])) as Record<ScriptName, string>;

/**
 * Runs the scripts on one connection, always in the order they were called among its other commands. A script goes
 * by source (EVAL, which also caches it in Redis) until this connection has run it, then by digest (EVALSHA). A new
 * connection starts over, since Redis may have restarted without its script cache. Retrying an EVALSHA that answers
 * NOSCRIPT would run it after the commands sent behind it (a tagged write after the purge that followed it), so when
 * the cache was flushed under a live connection the call fails instead (the cache logs it and answers a miss) and the
 * next call sends the source.
 */
export class RedisScripts {
  private readonly known = new Set<ScriptName>();

  constructor(private readonly client: RedisClient) {
    client.on('ready', () => this.known.clear());
  }

  /** Not async before it sends: the command is queued when this returns. */
  run(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    if (!this.known.has(name)) {
      return this.client.eval(SOURCES[name], options).then((reply) => {
        this.known.add(name);
        return reply;
      });
    }
    return this.client.evalSha(SHAS[name], options).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      this.known.delete(name);
      throw new Error(`Redis no longer held the cache's ${name} script (SCRIPT FLUSH?), so the call did not run; the next call sends it again`);
    });
  }
}
