/**
 * @module auth/redis-token-store
 * The fleet-wide token store. Tokens are sealed (AES-256-GCM) before they reach Redis; the
 * fenced write is one Lua script, so "newer generation wins" holds under any interleaving of
 * instances, paused processes and slow carriers. Every Redis failure surfaces as
 * ERR_REDIS_UNAVAILABLE for the token manager to fall back on.
 */
import { createHash } from 'node:crypto';

import { GatewayError } from '../core/errors.js';
import type { RedisConnection } from '../platform/redis.js';
import type { TokenSealer } from './crypto.js';
import {
  hourBucket,
  HOUR_MS,
  type AccountSharedState,
  type PendingAuthorization,
  type StoredToken,
  type TokenRequestCounts,
  type TokenStore,
  type WriteResult,
} from './token-store.js';

export const TOKEN_EVENTS_CHANNEL = 'token-events';

/**
 * KEYS[1] token hash; ARGV: generation, sealed blob, expiresAt (epoch ms).
 * Refuses a generation that is not newer than the stored one, and a token that is already dead
 * by Redis's clock (a process paused past its token's life must not bring it back).
 */
const FENCED_WRITE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if tonumber(ARGV[1]) <= current then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[3]) <= now then return -1 end
redis.call('HSET', KEYS[1], 'gen', ARGV[1], 'blob', ARGV[2])
return 1
`;

/**
 * KEYS[1] generation counter, KEYS[2] token hash; ARGV[1] the floor. INCR, lifted above the
 * floor and above the stored token's generation when Redis lost the counter but not the token
 * (a failover that lost the last INCR, or a token written back by the instance that held it).
 */
const NEXT_GENERATION = `
local next = redis.call('INCR', KEYS[1])
local floor = math.max(tonumber(ARGV[1]), tonumber(redis.call('HGET', KEYS[2], 'gen') or '0'))
if next <= floor then
  next = floor + 1
  redis.call('SET', KEYS[1], next)
end
return next
`;

/**
 * KEYS[1] the account's shared-state hash; ARGV[1] how many fields are set, then that many
 * field/value pairs, then the fields deleted. One script rather than a MULTI: ioredis builds each
 * pipeline with an accessor of its own (`length`), which gives every pipeline its own hidden
 * class, and V8 keeps a pipeline reachable from that class until a full collection, so every
 * command of it was promoted to the old generation (docs/benchmarks.md run 22).
 */
const UPDATE_STATE = `
local sets = tonumber(ARGV[1])
if sets > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * sets)) end
if #ARGV > 1 + 2 * sets then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * sets)) end
return 1
`;

/** KEYS[1] an hour's token-request counter; ARGV[1] its time to live (ms). Returns the count. */
const COUNT_TOKEN_REQUEST = `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
`;

interface ScriptedClient {
  nextGeneration(counter: string, token: string, floor: number): Promise<number>;
  fencedTokenWrite(key: string, generation: number, blob: string, expiresAt: number): Promise<number>;
  updateTokenState(key: string, sets: number, ...fields: string[]): Promise<number>;
  countTokenRequest(key: string, ttlMs: number): Promise<number>;
}

/** How long a presented refresh token stays claimed: longer than any carrier's refresh-token life. */
const CLAIM_TTL_MS = 30 * 24 * HOUR_MS;

/** A shared-state hash's fields, each a JSON value. */
function stateOf(fields: [string, string][]): AccountSharedState {
  const state: Record<string, unknown> = {};
  for (const [name, value] of fields) state[name] = JSON.parse(value) as unknown;
  return state as AccountSharedState;
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, { cause, detail: 'redis command failed' });
}

export class RedisTokenStore implements TokenStore {
  readonly shared = true;

  constructor(
    private readonly redis: RedisConnection,
    private readonly sealer: TokenSealer,
  ) {
    redis.client.defineCommand('fencedTokenWrite', { numberOfKeys: 1, lua: FENCED_WRITE });
    redis.client.defineCommand('nextGeneration', { numberOfKeys: 2, lua: NEXT_GENERATION });
    redis.client.defineCommand('updateTokenState', { numberOfKeys: 1, lua: UPDATE_STATE });
    redis.client.defineCommand('countTokenRequest', { numberOfKeys: 1, lua: COUNT_TOKEN_REQUEST });
  }

  get #scripts(): ScriptedClient {
    return this.redis.client as unknown as ScriptedClient;
  }

  // Hash tags ({account}) keep one account's keys in one Redis Cluster slot: some scripts below
  // touch several of them.
  #key(kind: string, account: string): string {
    return `${this.redis.keyPrefix}${kind}:{${account}}`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.redis.available) throw unavailable(undefined);
    try {
      return await command();
    } catch (error) {
      throw unavailable(error);
    }
  }

  async read(account: string): Promise<StoredToken | null> {
    const blob = await this.#run(() => this.redis.client.hget(this.#key('token', account), 'blob'));
    if (blob === null) return null;
    const json = this.sealer.open(blob, account);
    // A blob sealed under another key (rotation without migration) reads as "no token".
    return json === null ? null : (JSON.parse(json) as StoredToken);
  }

  async nextGeneration(account: string, atLeast: number): Promise<number> {
    const generation = await this.#run(() =>
      this.#scripts.nextGeneration(this.#key('generation', account), this.#key('token', account), atLeast),
    );
    // Taken before the carrier call: it must survive a failover, or a promoted replica would
    // hand the same generation to a second refresh.
    await this.#run(() => this.redis.confirmReplicated());
    return generation;
  }

  async write(account: string, token: StoredToken): Promise<WriteResult> {
    const sealed = this.sealer.seal(JSON.stringify(token), account);
    const result = await this.#run(() =>
      this.#scripts.fencedTokenWrite(
        this.#key('token', account),
        token.generation,
        sealed,
        Math.floor(token.expiresAt),
      ),
    );
    // The write is done; an unconfirmed replica only means a failover could lose it (the
    // instance keeps the token and writes it back: TokenManager.restoreShared).
    if (result === 1) await this.redis.confirmReplicated().catch(() => undefined);
    return result === 1 ? 'written' : result === 0 ? 'stale' : 'expired';
  }

  async claimRefreshToken(
    account: string,
    refreshToken: string,
    purpose: 'refresh' | 'last-resort',
  ): Promise<boolean> {
    // Only a digest is stored: the claim must not become a second copy of the secret.
    const digest = createHash('sha256').update(refreshToken).digest('base64url');
    const key = `${this.#key('refresh-claim', account)}:${purpose}:${digest}`;
    const result = await this.#run(() => this.redis.client.set(key, '1', 'PX', CLAIM_TTL_MS, 'NX'));
    // The claim is what stops a second presentation: it must be on a replica before the token
    // goes to the carrier, or a failover could forget it.
    if (result === 'OK') await this.#run(() => this.redis.confirmReplicated());
    return result === 'OK';
  }

  async readState(account: string): Promise<AccountSharedState> {
    const fields = await this.#run(() => this.redis.client.hgetall(this.#key('state', account)));
    return stateOf(Object.entries(fields));
  }

  async readStates(accounts: readonly string[]): Promise<Map<string, AccountSharedState>> {
    const keys = accounts.map((account) => this.#key('state', account));
    const hashes = await this.#run(() => this.redis.readHashes(keys));
    return new Map(accounts.map((account, index) => [account, stateOf(hashes[index]!)]));
  }

  async updateState(
    account: string,
    change: Partial<Record<keyof AccountSharedState, unknown | null>>,
  ): Promise<void> {
    const sets: string[] = [];
    const deletes: string[] = [];
    for (const [name, value] of Object.entries(change)) {
      if (value === undefined) continue;
      if (value === null) deletes.push(name);
      else sets.push(name, JSON.stringify(value));
    }
    await this.#run(() =>
      this.#scripts.updateTokenState(this.#key('state', account), sets.length / 2, ...sets, ...deletes),
    );
  }

  async countTokenRequest(account: string, now: number): Promise<void> {
    const key = `${this.#key('token-requests', account)}:${hourBucket(now)}`;
    await this.#run(() => this.#scripts.countTokenRequest(key, 3 * HOUR_MS));
  }

  async tokenRequestCounts(account: string, now: number): Promise<TokenRequestCounts> {
    const base = this.#key('token-requests', account);
    const hour = hourBucket(now);
    const [thisHour, lastHour] = await this.#run(() =>
      this.redis.client.mget(`${base}:${hour}`, `${base}:${hour - 1}`),
    );
    return { thisHour: Number(thisHour ?? 0), lastHour: Number(lastHour ?? 0) };
  }

  async announce(account: string, generation: number): Promise<void> {
    await this.#run(() =>
      this.redis.client.publish(
        `${this.redis.keyPrefix}${TOKEN_EVENTS_CHANNEL}`,
        JSON.stringify({ account, generation }),
      ),
    );
  }

  async purge(account: string): Promise<void> {
    await this.#run(() => this.redis.client.del(this.#key('token', account), this.#key('state', account)));
    await this.#run(() =>
      this.redis.client.publish(
        `${this.redis.keyPrefix}${TOKEN_EVENTS_CHANNEL}`,
        JSON.stringify({ account, purged: true }),
      ),
    );
  }

  /**
   * The key is a digest of the state (the state travels in URLs and browser history; the key
   * need not repeat it), and the record is sealed with that key as additional data, so a record
   * copied under another state does not open.
   */
  #authorizationKey(state: string): { key: string; aad: string } {
    const digest = createHash('sha256').update(state).digest('base64url');
    return { key: `${this.redis.keyPrefix}oauth-state:${digest}`, aad: `oauth-state:${digest}` };
  }

  async saveAuthorization(state: string, pending: PendingAuthorization, retainMs: number): Promise<void> {
    const { key, aad } = this.#authorizationKey(state);
    const sealed = this.sealer.seal(JSON.stringify(pending), aad);
    await this.#run(() => this.redis.client.set(key, sealed, 'PX', Math.ceil(retainMs)));
  }

  async takeAuthorization(state: string): Promise<PendingAuthorization | null> {
    const { key, aad } = this.#authorizationKey(state);
    // GETDEL (Redis 6.2): read and delete in one command, so two instances handed the same
    // callback cannot both see the record.
    const sealed = await this.#run(() => this.redis.client.getdel(key));
    if (sealed === null) return null;
    const json = this.sealer.open(sealed, aad);
    return json === null ? null : (JSON.parse(json) as PendingAuthorization);
  }
}
