/**
 * @module http/admins
 * The operators allowed to call the gateway's administrative routes (authorization-code
 * onboarding). Their keys are separate from the shipping apps' keys (the configuration refuses
 * an admin key equal to a client key), kept only as SHA-256 digests and compared in constant time
 * over every entry, as in src/http/clients.ts. A client key presented here is simply a wrong key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { AdminConfig } from '../../config/schema.js';
import { GatewayError } from '../core/errors.js';

export interface AuthenticatedAdmin {
  id: string;
}

interface Entry {
  digest: Buffer;
  admin: AuthenticatedAdmin;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export class AdminRegistry {
  #entries: Entry[];

  constructor(admins: readonly AdminConfig[]) {
    this.#entries = admins.map((admin) => ({ digest: digest(admin.apiKey), admin: { id: admin.id } }));
  }

  /** A configuration reload: a removed admin key stops working at once. */
  replace(admins: readonly AdminConfig[]): void {
    this.#entries = admins.map((admin) => ({ digest: digest(admin.apiKey), admin: { id: admin.id } }));
  }

  /** Reads `Authorization: Bearer <admin key>`; throws ERR_ADMIN_UNAUTHENTICATED without saying which part was wrong. */
  authenticate(authorization: string | undefined): AuthenticatedAdmin {
    const match = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (match === null) {
      throw new GatewayError('ERR_ADMIN_UNAUTHENTICATED', undefined, {
        detail: 'send Authorization: Bearer <admin API key>',
      });
    }
    const presented = digest(match[1]!);
    let found: AuthenticatedAdmin | undefined;
    // Every entry is compared, found or not, so the time taken does not depend on which key matched.
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.admin;
    }
    if (found === undefined) {
      throw new GatewayError(
        'ERR_ADMIN_UNAUTHENTICATED',
        undefined,
        this.#entries.length === 0 ? { detail: 'no admins are configured' } : {},
      );
    }
    return found;
  }
}
