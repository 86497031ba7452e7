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

const SOURCES = { write: NOTIFY + WRITE, purge: NOTIFY + PURGE } as const;
export type ScriptName = keyof typeof SOURCES;

const SHAS = Object.fromEntries(Object.entries(SOURCES).map(([name, source]) => [name, createHash('sha1').update(source).digest('hex')])) as Record<ScriptName, string>;

/** Runs a script by its digest, sending the source only when Redis does not know it (first use, or after a restart). */
export async function runScript(client: RedisClient, name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await client.evalSha(SHAS[name], { keys, arguments: args });
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(SOURCES[name], { keys, arguments: args });
  }
}
