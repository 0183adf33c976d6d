/**
 * @module test/support/pkce
 * The authorization-code exchange as a test checks it (RFC 6749 4.1.3 with PKCE, RFC 7636):
 * the S256 challenge of a verifier, and the exchange form the gateway sent, whose verifier must
 * hash to the challenge the authorization request carried.
 */
import { createHash } from 'node:crypto';

import { expect } from 'vitest';

/** RFC 7636 4.2: BASE64URL(SHA256(verifier)). */
export const s256Challenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export interface CodeExchange {
  /** The callback the carrier redirected to, with the `code`. */
  callback: URL;
  redirectUri: string;
  /** The `code_challenge` of the authorization request. */
  challenge: string | null;
  /** Fields beyond the RFC's (a public client's `client_id`). */
  extra?: Record<string, string>;
}

/** Checks the token request body of an authorization-code exchange; returns its fields. */
export function expectCodeExchange(body: string, exchange: CodeExchange): Record<string, string> {
  const form = Object.fromEntries(new URLSearchParams(body));
  expect(form).toEqual({
    grant_type: 'authorization_code',
    code: exchange.callback.searchParams.get('code'),
    redirect_uri: exchange.redirectUri,
    code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    ...exchange.extra,
  });
  expect(s256Challenge(form['code_verifier']!)).toBe(exchange.challenge);
  return form;
}
