/**
 * The server-side scripts of the Redis row store. Each write is one script
 * run: Redis runs a script atomically, so the `wail_ts` comparison and the
 * change it guards cannot interleave with another write of the key.
 *
 * A row is a hash at its key (see `rowKey`):
 *
 *   live row    <column> → JSON text of its value, one field per column
 *               wail_ts  → the version, a decimal integer
 *   tombstone   wail_ts  → the delete's version
 *               wail:deleted → "1"   (no column can be called `wail:deleted`)
 *               with a PEXPIRE of the tombstone TTL
 *
 * Versions are compared as decimal strings (length, then digits; sign
 * first), never as Lua numbers, which are doubles and would round versions
 * beyond 2^53.
 *
 * Only EVALSHA/EVAL, HGET, HEXISTS, HSET, DEL and PEXPIRE: commands Valkey has too.
 */

/** Scripts return 1 when they changed the row, 0 when a newer (or the same) version already holds it. */
export const APPLIED = 1;

/** The error code word of a script's refusal: a row cannot be created without its required columns. */
export const REFUSED_CODE = 'WAILREJECTED';

const COMPARE = `
local function compare(a, b)
  local na, nb = string.sub(a, 1, 1) == '-', string.sub(b, 1, 1) == '-'
  if na ~= nb then return na and -1 or 1 end
  local r
  if a == b then return 0
  elseif #a ~= #b then r = (#a < #b) and -1 or 1
  else r = (a < b) and -1 or 1 end
  if na then return -r end
  return r
end
`;

/**
 * Upsert, last writer wins.
 *
 *   KEYS[1]  the row's key
 *   ARGV     ts, n, <n field/value pairs to set>,
 *            m, <m field/value pairs set only when the row is created
 *                (key columns, defaults of columns not given)>,
 *            r, <r required columns not given>
 *
 * An older or equal version than the row's or tombstone's changes nothing.
 * Otherwise a live row gets the fields (the others stay as they are); an
 * absent or deleted row is created afresh with only this write's fields
 * (DEL first, so no TTL and no old field survives), unless a required column
 * is missing: then the script refuses, and nothing is written.
 */
export const UPSERT_SCRIPT = `${COMPARE}
local key, ts = KEYS[1], ARGV[1]
local current = redis.call('HGET', key, 'wail_ts')
local creating = true
if current then
  if compare(ts, current) <= 0 then return 0 end
  creating = redis.call('HEXISTS', key, 'wail:deleted') == 1
end
local i = 2
local n = tonumber(ARGV[i])
local fields = {}
if creating then
  local m = tonumber(ARGV[i + 2 * n + 1])
  for j = 1, 2 * m do fields[#fields + 1] = ARGV[i + 2 * n + 1 + j] end
  local at = i + 2 * n + 2 * m + 2
  local r = tonumber(ARGV[at])
  if r > 0 then
    local missing = {}
    for j = 1, r do missing[j] = ARGV[at + j] end
    return redis.error_reply('${REFUSED_CODE} ' .. table.concat(missing, ','))
  end
end
for j = 1, 2 * n do fields[#fields + 1] = ARGV[i + j] end
fields[#fields + 1] = 'wail_ts'
fields[#fields + 1] = ts
if creating then redis.call('DEL', key) end
redis.call('HSET', key, unpack(fields))
return 1
`;

/**
 * Delete, last writer wins.
 *
 *   KEYS[1]  the row's key
 *   ARGV     ts, tombstone TTL in milliseconds
 *
 * A newer row, or a tombstone of the same version (a retry), stays. Otherwise
 * the hash becomes a tombstone that expires after the TTL, whether a row
 * existed or not: a late, older upsert finds it and changes nothing.
 */
export const DELETE_SCRIPT = `${COMPARE}
local key, ts = KEYS[1], ARGV[1]
local current = redis.call('HGET', key, 'wail_ts')
if current then
  local order = compare(ts, current)
  if order < 0 then return 0 end
  if order == 0 and redis.call('HEXISTS', key, 'wail:deleted') == 1 then return 0 end
end
redis.call('DEL', key)
redis.call('HSET', key, 'wail_ts', ts, 'wail:deleted', '1')
redis.call('PEXPIRE', key, ARGV[2])
return 1
`;

/** The hash field that marks a tombstone. */
export const DELETED_FIELD = 'wail:deleted';
