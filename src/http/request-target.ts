/**
 * @module http/request-target
 * Issue 12, point 9: a request line may name a whole URL (absolute-form, RFC 9112 3.2.2), and
 * then its authority, not the Host header, is the host the client addresses. A gateway that
 * served `GET http://evil.example/v1/... HTTP/1.1` as its own would build URLs (the OAuth
 * callback's, redirects) on a host an attacker chose. So an absolute-form target must name this
 * gateway, the configured `publicUrl`'s host; anything else, and any absolute-form target when
 * no `publicUrl` says what the gateway's name is, is 421 ERR_MISDIRECTED_REQUEST (RFC 9110
 * 15.5.20). An accepted one is served as the origin-form it stands for, with Host set to it.
 */
import type { IncomingMessage } from 'node:http';

import { GatewayError } from '../core/errors.js';

export class RequestTargets {
  readonly #publicHost: string | undefined;

  constructor(publicUrl: string | undefined) {
    this.#publicHost = publicUrl === undefined ? undefined : new URL(publicUrl).host.toLowerCase();
  }

  /** Rewrites an accepted absolute-form target in place; throws for another authority. */
  admit(req: IncomingMessage): void {
    const target = req.url ?? '';
    // origin-form (the usual) and asterisk-form (OPTIONS *) name no authority.
    if (target.startsWith('/') || target === '*') return;
    let url: URL | undefined;
    try {
      url = new URL(target);
    } catch {
      url = undefined;
    }
    const expected = this.#publicHost;
    if (
      url === undefined ||
      expected === undefined ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.host !== expected
    ) {
      throw new GatewayError('ERR_MISDIRECTED_REQUEST', undefined, {
        detail:
          expected !== undefined
            ? 'an absolute request target must name this gateway (its publicUrl)'
            : 'send the path alone: without a publicUrl this gateway takes no absolute request target',
      });
    }
    req.url = `${url.pathname}${url.search}`;
    req.headers.host = url.host;
  }
}
