/**
 * @module test/auth/unit/crypto
 * Tokens at rest (src/auth/crypto.ts): AES-256-GCM seal/open bound to the account id, and reading
 * GATEWAY_ENCRYPTION_KEY without ever echoing its value.
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { TokenSealer } from '../../../src/auth/crypto.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { registerSecrets } from '../../support/log-capture.js';
import { SECRETS } from './fixtures.js';

const KEY = randomBytes(32);
const HEX_KEY = KEY.toString('hex');
const BASE64_KEY = KEY.toString('base64');
registerSecrets(HEX_KEY, BASE64_KEY);

const plaintext = JSON.stringify({ accessToken: SECRETS.accessToken, expiresAt: 1_755_740_000_000 });

describe('TokenSealer seal/open', () => {
  const sealer = new TokenSealer(KEY);

  it('round-trips, and the sealed blob does not contain the plaintext', () => {
    const sealed = sealer.seal(plaintext, 'ups-main');
    expect(sealed).not.toContain(SECRETS.accessToken);
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain(SECRETS.accessToken);
    expect(sealer.open(sealed, 'ups-main')).toBe(plaintext);
  });

  it('uses a fresh IV each time', () => {
    expect(sealer.seal(plaintext, 'ups-main')).not.toBe(sealer.seal(plaintext, 'ups-main'));
  });

  it('refuses to open a blob under another account id', () => {
    expect(sealer.open(sealer.seal(plaintext, 'ups-main'), 'fedex-main')).toBeNull();
  });

  it('refuses to open a blob sealed with another key', () => {
    expect(TokenSealer.ephemeral().open(sealer.seal(plaintext, 'ups-main'), 'ups-main')).toBeNull();
  });

  it.each([0, 5, 12, 20, 40])('refuses a blob with byte %i flipped (IV, tag or ciphertext)', (index) => {
    const raw = Buffer.from(sealer.seal(plaintext, 'ups-main'), 'base64');
    raw[index] = raw[index]! ^ 0x01;
    expect(sealer.open(raw.toString('base64'), 'ups-main')).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['too short', Buffer.alloc(20).toString('base64')],
    ['truncated', 'not base64 at all'],
  ])('refuses a %s blob', (_name, blob) => {
    expect(sealer.open(blob, 'ups-main')).toBeNull();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new TokenSealer(randomBytes(16))).toThrow('32 bytes');
  });
});

describe('TokenSealer.fromEnvironmentValue (GATEWAY_ENCRYPTION_KEY)', () => {
  it.each([
    ['64 hex characters', HEX_KEY],
    ['64 upper-case hex characters', HEX_KEY.toUpperCase()],
    ['base64 of 32 bytes', BASE64_KEY],
    ['base64 with a trailing newline', `${BASE64_KEY}\n`],
  ])('accepts %s, giving the same key', (_name, value) => {
    const fromEnv = TokenSealer.fromEnvironmentValue(value);
    expect(new TokenSealer(KEY).open(fromEnv.seal(plaintext, 'ups-main'), 'ups-main')).toBe(plaintext);
  });

  function rejection(value: string): Error {
    try {
      TokenSealer.fromEnvironmentValue(value);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected GATEWAY_ENCRYPTION_KEY to be rejected');
  }

  it.each([
    ['16 bytes of hex', randomBytes(16).toString('hex')],
    ['48 bytes of base64', randomBytes(48).toString('base64')],
    ['63 hex characters', HEX_KEY.slice(1)],
    ['a passphrase', 'correct horse battery staple'],
    ['empty', ''],
  ])('rejects %s with ERR_CONFIG_INVALID naming the variable, never the value', (_name, value) => {
    registerSecrets(value);
    const error = rejection(value);
    expect(isGatewayError(error) && error.code).toBe('ERR_CONFIG_INVALID');
    const text = [
      error.message,
      isGatewayError(error) ? (error.detail ?? '') : '',
      JSON.stringify(error),
    ].join('\n');
    expect(text).toContain('GATEWAY_ENCRYPTION_KEY');
    if (value !== '') expect(text).not.toContain(value);
  });

  // Regression: Buffer.from(…, 'base64') skips characters outside the alphabet, so a
  // corrupted key (here a stray "!") silently becomes a different 32-byte key on one replica.
  it('rejects a base64 value with a character outside the base64 alphabet', () => {
    const corrupted = `${BASE64_KEY.slice(0, 43)}!`;
    registerSecrets(corrupted);
    expect(isGatewayError(rejection(corrupted))).toBe(true);
  });
});

describe('key rotation (GATEWAY_ENCRYPTION_KEY_PREVIOUS)', () => {
  const oldKey = randomBytes(32).toString('hex');
  const newKey = randomBytes(32).toString('hex');
  registerSecrets(oldKey, newKey);
  const before = TokenSealer.fromEnvironmentValue(oldKey);
  const during = TokenSealer.fromEnvironmentValue(newKey, oldKey);
  const after = TokenSealer.fromEnvironmentValue(newKey);

  it('opens records sealed with the previous key, and seals only with the new one', () => {
    const old = before.seal(plaintext, 'ups-main');
    expect(during.open(old, 'ups-main')).toBe(plaintext);
    const resealed = during.seal(plaintext, 'ups-main');
    expect(before.open(resealed, 'ups-main')).toBeNull();
    expect(after.open(resealed, 'ups-main')).toBe(plaintext);
    expect(after.open(old, 'ups-main')).toBeNull();
  });

  it('still binds the account id under the previous key', () => {
    expect(during.open(before.seal(plaintext, 'ups-main'), 'fedex-main')).toBeNull();
  });

  it('names the previous key variable when it is malformed, never its value', () => {
    const bad = 'not-a-key-0123456789';
    registerSecrets(bad);
    let caught: unknown;
    try {
      TokenSealer.fromEnvironmentValue(newKey, bad);
    } catch (error) {
      caught = error;
    }
    expect(isGatewayError(caught)).toBe(true);
    const text = `${(caught as Error).message} ${JSON.stringify(caught)}`;
    expect(text).toContain('GATEWAY_ENCRYPTION_KEY_PREVIOUS');
    expect(text).not.toContain(bad);
    expect(text).not.toContain(newKey);
  });

  it('treats an empty previous key as none', () => {
    expect(TokenSealer.fromEnvironmentValue(newKey, '').open(before.seal(plaintext, 'a'), 'a')).toBeNull();
  });
});
