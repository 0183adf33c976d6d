/**
 * @module alerts/dedup
 * Incidents, shared by the fleet so that one incident makes one alert and one recovery however
 * many instances see it. An incident key (rule + account) is open or not; opening it sends the
 * alert unless the same key was announced less than the cooldown ago (a flapping condition):
 * then it opens quietly, and is announced once the cooldown has passed if it is still open. Closing
 * it sends the recovery only if its opening was announced, and only the instance whose close
 * removed the record sends it. Networks seen per client key live here too.
 *
 * Redis mode: one Lua script per transition (`alerts:incident:{<key>}` holds `<id>|loud` or
 * `<id>|quiet`, `alerts:cooldown:{<key>}` expires after the cooldown, `alerts:networks:<client>`
 * is a set). The incident key in braces is a Redis Cluster hash tag: the opening script reads
 * and writes both keys of an incident, which must therefore share one slot. Memory mode keeps the same records in process (embedded mode, and the fallback while
 * Redis is away: each instance then alerts on its own rather than not at all).
 */
import type { Logger } from '../platform/log.js';
import type { RedisConnection } from '../platform/redis.js';

export type OpenResult =
  /** Announce it now. */
  | { kind: 'send'; id: string }
  /** Already open (announced or not): nothing to send. */
  | { kind: 'open'; id: string }
  /** Opened quietly: the key was announced less than the cooldown ago. */
  | { kind: 'suppressed'; id: string };

export interface ClosedIncident {
  id: string;
  /** Its opening was announced, so its recovery is too. */
  announced: boolean;
}

/** `first`: the client's first network ever (not alerted); `new`: another one. */
export type NetworkSeen = 'first' | 'known' | 'new';

export interface IncidentStore {
  open(key: string, id: string, cooldownMs: number): Promise<OpenResult>;
  close(key: string): Promise<ClosedIncident | null>;
  rememberNetwork(client: string, network: string): Promise<NetworkSeen>;
}

/** An open incident nobody evaluates any more (account removed, fleet gone) lapses after this. */
export const INCIDENT_TTL_MS = 7 * 24 * 3600 * 1000;
/** Networks remembered per client in memory; the oldest go first. */
const MEMORY_NETWORKS_PER_CLIENT = 4_096;

export class MemoryIncidentStore implements IncidentStore {
  readonly #incidents = new Map<string, { id: string; loud: boolean; expiresAt: number }>();
  readonly #cooldowns = new Map<string, number>();
  readonly #networks = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  #coolingDown(key: string): boolean {
    const until = this.#cooldowns.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#cooldowns.delete(key);
    return false;
  }

  #announce(key: string, id: string, cooldownMs: number): OpenResult {
    this.#incidents.set(key, { id, loud: true, expiresAt: this.now() + INCIDENT_TTL_MS });
    if (cooldownMs > 0) this.#cooldowns.set(key, this.now() + cooldownMs);
    return { kind: 'send', id };
  }

  async open(key: string, id: string, cooldownMs: number): Promise<OpenResult> {
    const current = this.#incidents.get(key);
    if (current && current.expiresAt > this.now()) {
      current.expiresAt = this.now() + INCIDENT_TTL_MS;
      if (!current.loud && !this.#coolingDown(key)) return this.#announce(key, current.id, cooldownMs);
      return { kind: 'open', id: current.id };
    }
    if (this.#coolingDown(key)) {
      this.#incidents.set(key, { id, loud: false, expiresAt: this.now() + INCIDENT_TTL_MS });
      return { kind: 'suppressed', id };
    }
    return this.#announce(key, id, cooldownMs);
  }

  async close(key: string): Promise<ClosedIncident | null> {
    const current = this.#incidents.get(key);
    if (!current) return null;
    this.#incidents.delete(key);
    if (current.expiresAt <= this.now()) return null;
    return { id: current.id, announced: current.loud };
  }

  async rememberNetwork(client: string, network: string): Promise<NetworkSeen> {
    let networks = this.#networks.get(client);
    if (!networks) {
      networks = new Set();
      this.#networks.set(client, networks);
    }
    if (networks.has(network)) return 'known';
    networks.add(network);
    if (networks.size > MEMORY_NETWORKS_PER_CLIENT) networks.delete(networks.values().next().value!);
    return networks.size === 1 ? 'first' : 'new';
  }
}

const OPEN = `
local current = redis.call('GET', KEYS[1])
local cooldown = tonumber(ARGV[2])
if current then
  local bar = string.find(current, '|', 1, true)
  local id = string.sub(current, 1, bar - 1)
  if string.sub(current, bar + 1) == 'quiet' and redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('SET', KEYS[1], id .. '|loud', 'PX', ARGV[3])
    if cooldown > 0 then redis.call('SET', KEYS[2], '1', 'PX', cooldown) end
    return {'send', id}
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'open', id}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('SET', KEYS[1], ARGV[1] .. '|quiet', 'PX', ARGV[3])
  return {'suppressed', ARGV[1]}
end
redis.call('SET', KEYS[1], ARGV[1] .. '|loud', 'PX', ARGV[3])
if cooldown > 0 then redis.call('SET', KEYS[2], '1', 'PX', cooldown) end
return {'send', ARGV[1]}
`;

const CLOSE = `
local current = redis.call('GET', KEYS[1])
if current then redis.call('DEL', KEYS[1]) end
return current
`;

const REMEMBER_NETWORK = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 'known' end
if redis.call('SCARD', KEYS[1]) == 1 then return 'first' end
return 'new'
`;

export class RedisIncidentStore implements IncidentStore {
  constructor(private readonly redis: RedisConnection) {}

  #key(kind: string, name: string): string {
    return `${this.redis.keyPrefix}alerts:${kind}:${name}`;
  }

  /** An incident's own keys (`incident`, `cooldown`), hash-tagged by the incident key. */
  #incidentKey(kind: 'incident' | 'cooldown', key: string): string {
    return this.#key(kind, `{${key}}`);
  }

  async open(key: string, id: string, cooldownMs: number): Promise<OpenResult> {
    const [kind, current] = (await this.redis.client.eval(
      OPEN,
      2,
      this.#incidentKey('incident', key),
      this.#incidentKey('cooldown', key),
      id,
      Math.round(cooldownMs),
      INCIDENT_TTL_MS,
    )) as [OpenResult['kind'], string];
    return { kind, id: current };
  }

  async close(key: string): Promise<ClosedIncident | null> {
    const current = (await this.redis.client.eval(CLOSE, 1, this.#incidentKey('incident', key))) as
      string | null;
    if (current === null) return null;
    const bar = current.indexOf('|');
    return { id: current.slice(0, bar), announced: current.slice(bar + 1) === 'loud' };
  }

  async rememberNetwork(client: string, network: string): Promise<NetworkSeen> {
    return (await this.redis.client.eval(
      REMEMBER_NETWORK,
      1,
      this.#key('networks', client),
      network,
    )) as NetworkSeen;
  }
}

/**
 * The fleet's store with the in-process one behind it: while Redis is away, incidents are kept
 * (and alerted) per instance; closing looks in both, so an incident opened during the outage
 * still gets its recovery.
 */
export class Incidents {
  readonly #local: MemoryIncidentStore;

  constructor(
    private readonly shared: IncidentStore | undefined,
    private readonly log: Logger,
    now: () => number,
  ) {
    this.#local = new MemoryIncidentStore(now);
  }

  async open(key: string, id: string, cooldownMs: number): Promise<OpenResult> {
    if (this.shared) {
      try {
        return await this.shared.open(key, id, cooldownMs);
      } catch (error) {
        this.#unavailable(error, key);
      }
    }
    return this.#local.open(key, id, cooldownMs);
  }

  async close(key: string): Promise<ClosedIncident | null> {
    const local = await this.#local.close(key);
    if (this.shared) {
      try {
        const shared = await this.shared.close(key);
        if (shared?.announced || !local) return shared;
      } catch (error) {
        this.#unavailable(error, key);
      }
    }
    return local;
  }

  /** Without Redis (or while it is away in Redis mode: null, ask again later) the process's own memory. */
  async rememberNetwork(client: string, network: string): Promise<NetworkSeen | null> {
    if (!this.shared) return this.#local.rememberNetwork(client, network);
    try {
      return await this.shared.rememberNetwork(client, network);
    } catch (error) {
      // This process has not seen the client's history; guessing would alert on every network.
      this.#unavailable(error, `networks:${client}`);
      return null;
    }
  }

  #unavailable(error: unknown, key: string): void {
    this.log.debug(
      { key, err: { message: (error as Error).message } },
      'alert incidents: redis unavailable, using this instance only',
    );
  }
}
