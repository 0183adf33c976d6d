/**
 * @module auth/crypto
 * Tokens at rest in Redis are sealed with AES-256-GCM. The account id is bound as additional
 * data, so a blob copied onto another account's key fails to open instead of lending that
 * account someone else's token.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { GatewayError } from '../core/errors.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** 32 bytes as 64 hex characters or base64; errors name the variable, never its value. */
function parseKey(value: string, variable: string): Buffer {
  const trimmed = value.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  // Node's base64 decoder skips foreign characters; a corrupted key must not become another key.
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
  if (key === null || key.length !== 32) {
    throw new GatewayError('ERR_CONFIG_INVALID', `invalid configuration: ${variable}`, {
      detail: `${variable}: expected 32 bytes as 64 hex characters or base64 (make one with: openssl rand -hex 32)`,
    });
  }
  return key;
}

export class TokenSealer {
  readonly #key: Buffer;
  /** Keys being rotated out: records sealed with them still open; nothing is sealed with them. */
  readonly #previous: readonly Buffer[];

  constructor(key: Buffer, previous: readonly Buffer[] = []) {
    if (key.length !== 32 || previous.some((old) => old.length !== 32))
      throw new Error('encryption key must be 32 bytes');
    this.#key = key;
    this.#previous = previous;
  }

  /**
   * Reads `GATEWAY_ENCRYPTION_KEY`, and `GATEWAY_ENCRYPTION_KEY_PREVIOUS` during a key rotation:
   * records sealed with the previous key keep opening until they are written again with the
   * new one (every refresh rewrites the account's token).
   */
  static fromEnvironmentValue(value: string, previousValue?: string): TokenSealer {
    const key = parseKey(value, 'GATEWAY_ENCRYPTION_KEY');
    const previous =
      previousValue === undefined || previousValue.trim() === ''
        ? []
        : [parseKey(previousValue, 'GATEWAY_ENCRYPTION_KEY_PREVIOUS')];
    return new TokenSealer(key, previous);
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
    for (const key of [this.#key, ...this.#previous]) {
      const plaintext = openWith(key, raw, account);
      if (plaintext !== null) return plaintext;
    }
    return null;
  }
}

function openWith(key: Buffer, raw: Buffer, account: string): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(account));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
