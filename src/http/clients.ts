/**
 * @module http/clients
 * The shipping apps allowed to call the gateway and the carrier accounts each may use. API keys
 * are kept only as SHA-256 digests and compared in constant time, so neither a memory dump nor
 * response timing gives a key away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

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
  #generation = 0;

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
    this.#generation += 1;
  }

  /**
   * Changes with every reload: whoever keeps an authenticated client (the pass-through, per
   * keep-alive connection) keeps it only for the generation it was checked against, so a revoked
   * key or a removed account stops working on connections already open (issue 12, point 2).
   */
  get generation(): number {
    return this.#generation;
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

/**
 * Where a request comes from, for the new-network alert (issue 12, point 12). Behind a load
 * balancer the socket's address is the balancer's, always the same network, so the alert never
 * fires; the client's is in `X-Forwarded-For`. That header is whatever the sender wrote, so it is
 * read only when the socket's peer is one of `trustedProxies` (addresses or CIDR ranges), and
 * then from the right: each proxy appends the address it saw, so the first address that is not
 * a trusted proxy is the client's.
 */
export class ClientAddresses {
  readonly #trusted = new BlockList();
  readonly #any: boolean;

  constructor(trustedProxies: readonly string[] = []) {
    for (const entry of trustedProxies) {
      const [address, bits] = entry.split('/');
      const family = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
      if (bits !== undefined) this.#trusted.addSubnet(address!, Number(bits), family);
      else this.#trusted.addAddress(address!, family);
    }
    this.#any = trustedProxies.length > 0;
  }

  /** Whether `address` (a socket's peer) is a trusted proxy. */
  trusts(address: string | undefined): boolean {
    if (!this.#any || address === undefined) return false;
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && this.#trusted.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** The client's address: the socket's, or (from a trusted proxy) the forwarded one. */
  of(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string | undefined {
    if (!this.trusts(socketAddress) || forwardedFor === undefined) return socketAddress;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((hop) => hop.trim());
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = hops[index]!;
      if (isIP(unmapped(hop)) === 0) return socketAddress;
      if (!this.trusts(hop)) return unmapped(hop);
    }
    return socketAddress;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
const unmapped = (address: string) =>
  address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
