/**
 * @module http/clients
 * The shipping apps allowed to call the gateway and the carrier accounts each may use. API keys
 * are kept only as SHA-256 digests and compared in constant time, so neither a memory dump nor
 * response timing gives a key away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { ClientConfig } from '../../config/schema.js';
import { GatewayError } from '../core/errors.js';

export interface AuthenticatedClient {
  id: string;
  /** Carrier accounts in the client's preference order. */
  accounts: readonly string[];
}

interface Entry {
  digest: Buffer;
  client: AuthenticatedClient;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** One bearer key (the metrics scrape's), kept as a digest and compared in constant time. */
export class BearerKey {
  readonly #digest: Buffer;

  constructor(key: string) {
    this.#digest = digest(key);
  }

  /** Throws ERR_UNAUTHENTICATED unless `authorization` is `Bearer <key>`. */
  check(authorization: string | undefined): void {
    const match = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (match === null || !timingSafeEqual(digest(match[1]!), this.#digest)) {
      throw new GatewayError('ERR_UNAUTHENTICATED', undefined, {
        detail: 'send Authorization: Bearer <metrics key>',
      });
    }
  }
}

export class ClientRegistry {
  #entries: Entry[];

  constructor(clients: readonly ClientConfig[]) {
    this.#entries = ClientRegistry.#entriesOf(clients);
  }

  static #entriesOf(clients: readonly ClientConfig[]): Entry[] {
    return clients.map((client) => ({
      digest: digest(client.apiKey),
      client: { id: client.id, accounts: Object.freeze([...client.accounts]) },
    }));
  }

  /** A configuration reload: new keys and account lists take effect for the next request. */
  replace(clients: readonly ClientConfig[]): void {
    this.#entries = ClientRegistry.#entriesOf(clients);
  }

  /** Reads `Authorization: Bearer <apiKey>`; throws ERR_UNAUTHENTICATED without saying which part was wrong. */
  authenticate(authorization: string | undefined): AuthenticatedClient {
    const match = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (match === null) {
      throw new GatewayError('ERR_UNAUTHENTICATED', undefined, {
        detail: 'send Authorization: Bearer <client API key>',
      });
    }
    const presented = digest(match[1]!);
    let found: AuthenticatedClient | undefined;
    // Every entry is compared, found or not, so the time taken does not depend on which key matched.
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.client;
    }
    if (found === undefined) throw new GatewayError('ERR_UNAUTHENTICATED');
    return found;
  }

  /**
   * Throws unless `client` may use `accountId`. Another client's account is answered exactly as
   * an unknown one (the same 404 and body), so a client cannot list the accounts of others by
   * probing ids (issue 12, point 8).
   */
  authorize(client: AuthenticatedClient, accountId: string, knownAccount: boolean): void {
    if (!knownAccount || !client.accounts.includes(accountId)) {
      throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: accountId });
    }
  }
}
