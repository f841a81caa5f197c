import { LEASE_SCRIPTS } from './lease-scripts.js';

/**
 * Lua scripts that keep data keys and their shard's range index consistent. ioredis registers
 * them once per client and runs them with EVALSHA (EVAL only when a server lacks the script).
 * Every key a script touches lives in one shard, so on a cluster it lives in one hash slot.
 * Index members are user keys (UTF-8); a data key is the shard's data prefix + the member.
 */

/** Prefix of the error a script raises when increment meets a value that is not a number. */
export const NOT_A_NUMBER_MARKER = 'KVSTORE_NOT_A_NUMBER';

/** Prefix of the error the increment script raises when the sum would overflow to +-inf. */
export const OVERFLOW_MARKER = 'KVSTORE_OVERFLOW';

/** Members handed to one ZADD or ZREM, below Lua's unpack() limit. */
const CHUNK = 4000;

/** ZREMs the members listed in `list` in chunks. */
const ZREM_LIST = `
local function zrem_list(index, list)
  for i = 1, #list, ${CHUNK} do
    redis.call('ZREM', index, unpack(list, i, math.min(i + ${CHUNK} - 1, #list)))
  end
end
`;

/**
 * Reads up to `count` index members after `cursor` ('' to start); returns them and the next
 * cursor ('' once the index is exhausted). Shared by the scripts that walk an index in pages.
 */
const INDEX_PAGE = `
local function index_page(index, cursor, count)
  local min = '-'
  if cursor ~= '' then min = '(' .. cursor end
  local members = redis.call('ZRANGEBYLEX', index, min, '+', 'LIMIT', 0, count)
  local next_cursor = ''
  if #members == count then next_cursor = members[#members] end
  return members, next_cursor
end
`;

/** KEYS: data, index. ARGV: member, value, ttl ms (0: none). */
const PUT = `
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
`;

/** KEYS: data, index. ARGV: member, value, ttl ms (0: none). Returns 1 when it stored. */
const PUT_IF_ABSENT = `
local ttl = tonumber(ARGV[3])
local stored
if ttl > 0 then
  stored = redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ttl)
else
  stored = redis.call('SET', KEYS[1], ARGV[2], 'NX')
end
if not stored then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
`;

/**
 * KEYS: index, then the data key of each entry. ARGV: byte length of the data prefix, then value,
 * ttl ms (0: none) for each entry: a putMany, or the concurrent puts of one tick folded into one
 * call (on a cluster; elsewhere they run as a MULTI/EXEC transaction, see indexed-puts.ts). Every
 * data key is declared, so while Redis Cluster migrates the shard's slot it checks them all before
 * running the script: it runs on the node that holds every one of them and the index, or is
 * refused (TRYAGAIN, ASK) before writing anything (see migration-safe-index.ts). Each member is
 * its data key less the prefix. Entries without a TTL go out as one MSET per run (in order, so the
 * last put of a key wins): every redis.call hands its arguments from Lua back to Redis, and for
 * entries without a TTL this cuts the server's instructions per entry (callgrind figures in
 * bench/notes/investigations.md).
 * Returns how many entries it stored.
 */
const PUT_BATCH = `
local from = tonumber(ARGV[1]) + 1
local run, scored = {}, {}
local n, m = 0, 0
for k = 2, #KEYS do
  local name = KEYS[k]
  local ttl = tonumber(ARGV[2 * k - 1])
  if ttl > 0 then
    if n > 0 then redis.call('MSET', unpack(run, 1, n)); n = 0 end
    redis.call('SET', name, ARGV[2 * k - 2], 'PX', ttl)
  else
    run[n + 1] = name
    run[n + 2] = ARGV[2 * k - 2]
    n = n + 2
    if n >= ${CHUNK} then redis.call('MSET', unpack(run, 1, n)); n = 0 end
  end
  scored[m + 1] = 0
  scored[m + 2] = string.sub(name, from)
  m = m + 2
end
if n > 0 then redis.call('MSET', unpack(run, 1, n)) end
for i = 1, m, ${CHUNK} do
  redis.call('ZADD', KEYS[1], unpack(scored, i, math.min(i + ${CHUNK} - 1, m)))
end
return m / 2
`;

/** KEYS: data, index. ARGV: member. Returns how many data keys existed (0 or 1). */
const DELETE = `
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return removed
`;

/**
 * KEYS: index, then the data key of each member (no key twice: a second DEL of a key would find it
 * gone, which on a node mid-migration is a key "not local" and fails the script halfway). ARGV:
 * byte length of the data prefix. The data keys are declared for the reason PUT_BATCH gives.
 * Returns how many data keys existed.
 */
const DELETE_MANY = `
${ZREM_LIST}
local from = tonumber(ARGV[1]) + 1
local members = {}
local removed = 0
for k = 2, #KEYS do
  removed = removed + redis.call('DEL', KEYS[k])
  members[k - 1] = string.sub(KEYS[k], from)
end
zrem_list(KEYS[1], members)
return removed
`;

/**
 * KEYS: data, index. ARGV: member, step (shortest decimal text of a finite double), ttl ms (> 0:
 * set; -1: persist; 0: keep), default ttl ms for a key the call creates (0: none). Follows the
 * increment contract of lib/core/stored-number.ts: the stored text must be plain decimal, the sum
 * is a double addition (Lua numbers are IEEE 754 doubles, as JavaScript's are; INCRBYFLOAT would
 * add in long double and print 17 digits, so results would differ from the memory store), an
 * overflow to +-inf writes nothing, and the result is stored as the shortest of %.15g, %.16g and
 * %.17g that parses back to the same double (15 digits always survive a round trip through a
 * double, 17 always identify one). A write error (OOM) propagates as Redis raised it. Returns the
 * stored text.
 */
const INCREMENT = `
local function parse(text)
  local mantissa = string.match(text, '^(.-)[eE][%+%-]?%d+$')
  if mantissa == nil then mantissa = text end
  if not string.find(mantissa, '^%-?%d*%.?%d*$') or not string.find(mantissa, '%d') then
    return nil
  end
  local number = tonumber(text)
  if number == nil or number ~= number or number == math.huge or number == -math.huge then
    return nil
  end
  return number
end
local function shortest(number)
  local text
  for digits = 15, 17 do
    text = string.format('%.' .. digits .. 'g', number)
    if tonumber(text) == number then return text end
  end
  return text
end
local got = redis.pcall('GET', KEYS[1])
-- WRONGTYPE (a list or hash written by another program) goes back as it is: the store reports
-- it as it does for reads, naming the key and its type.
if type(got) == 'table' and got.err then return got end
local current = 0
if got then
  current = parse(got)
  if current == nil then return redis.error_reply('${NOT_A_NUMBER_MARKER}') end
end
local sum = current + tonumber(ARGV[2])
if sum == math.huge or sum == -math.huge then return redis.error_reply('${OVERFLOW_MARKER}') end
local text = shortest(sum)
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('SET', KEYS[1], text, 'PX', ttl)
elseif ttl < 0 or (not got and tonumber(ARGV[4]) == 0) then
  redis.call('SET', KEYS[1], text)
elseif got then
  redis.call('SET', KEYS[1], text, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], text, 'PX', ARGV[4])
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return text
`;

/**
 * KEYS: index. ARGV: ZRANGEBYLEX min, max, limit (0: all), data prefix, prune ('1' or '0').
 * Returns { member1, value1, ... } of live keys in byte order. A member whose data key is gone
 * here is removed from the index on the way with prune '1'; with '0' (Redis Cluster) it is
 * returned with a nil value instead, because during a slot migration its data key may already
 * live on the importing node, which this script cannot see: the client reads it by its own route.
 */
const RANGE = `
${ZREM_LIST}
local min, max = ARGV[1], ARGV[2]
local limit = tonumber(ARGV[3])
local prefix = ARGV[4]
local prune = ARGV[5] ~= '0'
local out = {}
local found = 0
while true do
  local want = 1000
  if limit > 0 then want = limit - found end
  local members = redis.call('ZRANGEBYLEX', KEYS[1], min, max, 'LIMIT', 0, want)
  local stale = {}
  for _, member in ipairs(members) do
    local value = redis.pcall('GET', prefix .. member)
    if type(value) == 'table' and value.err then
      if string.find(value.err, 'WRONGTYPE', 1, true) then
        -- Another Redis type under the prefix: returned as { type } for the client to name.
        value = { redis.call('TYPE', prefix .. member).ok }
      elseif prune then
        return redis.error_reply(value.err)
      else
        -- Not on this node (its slot is mid-migration): the client reads it by its own route.
        value = false
      end
    end
    if value then
      out[#out + 1] = member
      out[#out + 1] = value
      found = found + 1
    elseif prune then
      stale[#stale + 1] = member
    else
      out[#out + 1] = member
      out[#out + 1] = false
    end
  end
  zrem_list(KEYS[1], stale)
  if #members < want or (limit > 0 and found >= limit) then break end
  min = '(' .. members[#members]
end
return out
`;

/**
 * KEYS: data keys (of one shard). Returns the Redis type of each ('none' when missing). Asked
 * only for keys MGET reported missing that EXISTS still finds: MGET reports a key of another
 * type (a list...) as missing, and the store names such keys instead.
 */
const TYPES = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('TYPE', KEYS[i]).ok end
return out
`;

/**
 * KEYS: index. ARGV: cursor (the last member seen, '' to start), count, data prefix, prune ('1'
 * or '0'). Visits up to `count` members after the cursor and removes those whose data key is gone.
 * Returns { next cursor ('' at the end), members visited, members removed }; with prune '0'
 * (Redis Cluster) it removes nothing and returns { next cursor, visited, 0, candidate, ... } for
 * PRUNE_MISSING, which declares the data keys so that Redis refuses it during a slot migration.
 */
const SWEEP = `
${ZREM_LIST}
${INDEX_PAGE}
local members, next_cursor = index_page(KEYS[1], ARGV[1], tonumber(ARGV[2]))
local stale = {}
for _, member in ipairs(members) do
  -- An error (a key of a slot mid-migration that lives on the other node) is not "gone".
  if redis.pcall('EXISTS', ARGV[3] .. member) == 0 then stale[#stale + 1] = member end
end
if ARGV[4] == '0' then
  local out = { next_cursor, #members, 0 }
  for _, member in ipairs(stale) do out[#out + 1] = member end
  return out
end
zrem_list(KEYS[1], stale)
return { next_cursor, #members, #stale }
`;

/**
 * KEYS: index, then the data key of each member. ARGV: the members. Removes from the index the
 * members whose data key does not exist; returns how many. The data keys are declared so that
 * Redis Cluster answers TRYAGAIN or ASK while their slot migrates instead of running the script
 * where a migrated key looks missing.
 */
const PRUNE_MISSING = `
local stale = {}
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then stale[#stale + 1] = ARGV[i] end
end
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
return #stale
`;

/**
 * KEYS: index. ARGV: cursor, count, data prefix, prune ('1' or '0', as for SWEEP). Counts live
 * keys and those with a TTL among up to `count` members after the cursor, pruning dead ones with
 * prune '1'; keys of another Redis type are counted apart. Returns
 * { next cursor, live, expiring, foreign }.
 */
const COUNT = `
${ZREM_LIST}
${INDEX_PAGE}
local members, next_cursor = index_page(KEYS[1], ARGV[1], tonumber(ARGV[2]))
local stale = {}
local live, expiring, foreign = 0, 0, 0
for _, member in ipairs(members) do
  local ttl = redis.call('PTTL', ARGV[3] .. member)
  if ttl == -2 then
    stale[#stale + 1] = member
  elseif redis.call('TYPE', ARGV[3] .. member).ok ~= 'string' then
    foreign = foreign + 1
  else
    live = live + 1
    if ttl >= 0 then expiring = expiring + 1 end
  end
end
if ARGV[4] ~= '0' then zrem_list(KEYS[1], stale) end
return { next_cursor, live, expiring, foreign }
`;

/**
 * KEYS: index. ARGV: count, data prefix. Deletes the first `count` indexed keys and their index
 * entries. Returns { live keys deleted, members visited }.
 */
const CLEAR = `
${ZREM_LIST}
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local removed = 0
for _, member in ipairs(members) do
  removed = removed + redis.call('DEL', ARGV[2] .. member)
end
zrem_list(KEYS[1], members)
return { removed, #members }
`;

/** A script as ioredis `scripts` options take it. */
export interface ScriptDefinition {
  /** Lua source. */
  lua: string;
  /** How many leading arguments are keys. */
  numberOfKeys?: number;
}

/** Every script, by the command name ioredis gives it. */
export const SCRIPTS = {
  kvPut: { lua: PUT, numberOfKeys: 2 },
  kvPutIfAbsent: { lua: PUT_IF_ABSENT, numberOfKeys: 2 },
  kvPutBatch: { lua: PUT_BATCH },
  kvDelete: { lua: DELETE, numberOfKeys: 2 },
  kvDeleteMany: { lua: DELETE_MANY },
  kvIncrement: { lua: INCREMENT, numberOfKeys: 2 },
  kvRange: { lua: RANGE, numberOfKeys: 1 },
  kvTypes: { lua: TYPES },
  kvPruneMissing: { lua: PRUNE_MISSING },
  kvSweep: { lua: SWEEP, numberOfKeys: 1 },
  kvCount: { lua: COUNT, numberOfKeys: 1 },
  kvClear: { lua: CLEAR, numberOfKeys: 1 },
  ...LEASE_SCRIPTS,
} as const satisfies Record<string, ScriptDefinition>;
