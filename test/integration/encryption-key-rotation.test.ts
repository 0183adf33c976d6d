/**
 * @module test/integration/encryption-key-rotation
 * Changing GATEWAY_ENCRYPTION_KEY without losing the stored tokens: an instance started with the
 * new key and the old one as GATEWAY_ENCRYPTION_KEY_PREVIOUS reads the token the old fleet
 * stored (no carrier call), and its next refresh stores the token under the new key, which an
 * instance with the new key alone then reads. Without the previous key the old record is unreadable
 * and a new token is fetched.
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { TokenSealer } from '../../src/auth/crypto.js';
import { registerSecrets } from '../support/log-capture.js';
import { useUpsTokenFixture } from '../support/ups-token-fixture.js';

const OLD_KEY = randomBytes(32).toString('hex');
const NEW_KEY = randomBytes(32).toString('hex');

describe('encryption key rotation', () => {
  const fixture = useUpsTokenFixture('key-rotation');
  registerSecrets(OLD_KEY, NEW_KEY);
  const start = (sealer: TokenSealer) =>
    fixture.instance(fixture.accounts(fixture.account('ups-keyed')), { sealer });
  const sim = () => fixture.sim;

  it('keeps the stored token readable through the change, then moves it to the new key', async () => {
    const old = await start(TokenSealer.fromEnvironmentValue(OLD_KEY));
    const first = await old.engine.manager('ups-keyed').getToken();
    expect(sim().stats().tokensIssued).toBe(1);

    // Without the previous key, the record does not open.
    const blind = await start(TokenSealer.fromEnvironmentValue(NEW_KEY));
    expect(await blind.engine.store.read('ups-keyed')).toBeNull();

    const rotating = await start(TokenSealer.fromEnvironmentValue(NEW_KEY, OLD_KEY));
    expect((await rotating.engine.manager('ups-keyed').getToken()).accessToken).toBe(first.accessToken);
    expect(sim().stats().tokensIssued).toBe(1);

    const refreshed = await rotating.engine.tokenManager('ups-keyed')!.refreshNow();
    const settled = await start(TokenSealer.fromEnvironmentValue(NEW_KEY));
    expect((await settled.engine.store.read('ups-keyed'))?.accessToken).toBe(refreshed.accessToken);
  });
});
