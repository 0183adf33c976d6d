/**
 * @module auth/crypto
 * Tokens at rest in Redis are sealed with AES-256-GCM. The account id is bound as additional
 * data, so a blob copied onto another account's key fails to open instead of lending that
 * account someone else's token.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { GatewayError } from '../errors.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class TokenSealer {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes');
    this.#key = key;
  }

  /**
   * Reads `GATEWAY_ENCRYPTION_KEY`: 32 bytes as 64 hex characters or base64. Errors name the
   * variable, never its value.
   */
  static fromEnvironmentValue(value: string): TokenSealer {
    const trimmed = value.trim();
    let key: Buffer | null = null;
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
    // Node's base64 decoder skips foreign characters; a corrupted key must not become another key.
    else if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
    if (key === null || key.length !== 32) {
      throw new GatewayError('ERR_CONFIG_INVALID', 'invalid configuration: GATEWAY_ENCRYPTION_KEY', {
        detail: 'GATEWAY_ENCRYPTION_KEY: expected 32 bytes as 64 hex characters or base64',
      });
    }
    return new TokenSealer(key);
  }

  static ephemeral(): TokenSealer {
    return new TokenSealer(randomBytes(32));
  }

  seal(plaintext: string, account: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(account));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Returns null when the blob was sealed with another key or for another account. */
  open(sealed: string, account: string): string | null {
    const raw = Buffer.from(sealed, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(account));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }
}
