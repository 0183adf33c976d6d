/**
 * @module admin/audit-log
 * Every admin action, refused ones included: who (the admin key's id, never the key), what, on
 * which account, why, when, and how it ended. In Redis it is an append-only stream (XADD), shared
 * by the fleet and read newest first (XREVRANGE); an entry is never changed once written. The
 * stream is capped (approximately, `MAXLEN ~`, so trimming stays cheap) and so is the memory log
 * of embedded mode.
 */
import type { RedisConnection } from '../platform/redis.js';

export interface AuditEntry {
  /** The stream entry id in Redis; `<ms>-<n>` in memory, in the same order. */
  id: string;
  at: string;
  admin: string;
  action: string;
  account?: string;
  reason?: string;
  params: Record<string, unknown>;
  result: { ok: boolean; code?: string; detail?: string };
}

export type AuditRecord = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  limit: number;
  account?: string;
  action?: string;
}

export interface AuditLog {
  append(record: AuditRecord): Promise<string>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

/** Enough for months of operator actions; a bound all the same. */
export const AUDIT_MAX_ENTRIES = 100_000;

const matches = (entry: AuditRecord, query: AuditQuery) =>
  (query.account === undefined || entry.account === query.account) &&
  (query.action === undefined || entry.action === query.action);

export class MemoryAuditLog implements AuditLog {
  readonly #entries: AuditEntry[] = [];
  #sequence = 0;

  constructor(private readonly maxEntries = AUDIT_MAX_ENTRIES) {}

  async append(record: AuditRecord): Promise<string> {
    const id = `${Date.parse(record.at)}-${this.#sequence++}`;
    this.#entries.push({ id, ...record });
    if (this.#entries.length > this.maxEntries)
      this.#entries.splice(0, this.#entries.length - this.maxEntries);
    return id;
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for (let index = this.#entries.length - 1; index >= 0 && found.length < query.limit; index -= 1) {
      const entry = this.#entries[index]!;
      if (matches(entry, query)) found.push(entry);
    }
    return found;
  }
}

/** Entries are read back in pages; a filtered query looks at most this many before it stops. */
const PAGE = 500;
const MAX_SCANNED = 20_000;

export class RedisAuditLog implements AuditLog {
  constructor(
    private readonly redis: RedisConnection,
    private readonly maxEntries = AUDIT_MAX_ENTRIES,
  ) {}

  get #key(): string {
    return `${this.redis.keyPrefix}audit`;
  }

  async append(record: AuditRecord): Promise<string> {
    const id = await this.redis.client.xadd(
      this.#key,
      'MAXLEN',
      '~',
      String(this.maxEntries),
      '*',
      'entry',
      JSON.stringify(record),
    );
    return id ?? '';
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    let end = '+';
    for (let scanned = 0; found.length < query.limit && scanned < MAX_SCANNED;) {
      const page = await this.redis.client.xrevrange(this.#key, end, '-', 'COUNT', PAGE);
      for (const [id, fields] of page) {
        const record = JSON.parse(fields[fields.indexOf('entry') + 1] ?? '{}') as AuditRecord;
        if (matches(record, query)) found.push({ id, ...record });
        if (found.length === query.limit) break;
      }
      scanned += page.length;
      if (page.length < PAGE) break;
      end = `(${page.at(-1)![0]}`;
    }
    return found;
  }
}
