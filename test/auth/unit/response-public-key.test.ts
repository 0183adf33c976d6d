/**
 * @module test/auth/unit/response-public-key
 * USPS sends `public_key` (a base64 PEM) with each RS256 JWT access token ([USPS-OAUTH] 5.4): the
 * engine verifies the token with it when no key or JWKS is configured, refuses a token that key
 * does not verify, and prefers a configured key.
 */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveOAuthAccount } from '../../../src/accounts/resolve.js';
import { parseConfig } from '../../../config/load.js';
import { exchangeToken } from '../../../src/auth/token-client.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { registerSecrets } from '../../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../../support/recording-server.js';

const SECRET = 'usps-public-key-secret-0123';

describe('a verification key in the token response', () => {
  let server: RecordingServer;
  let signingPem = '';
  let otherPem = '';
  let jwt = '';
  let sendKey = '';

  beforeAll(async () => {
    const signing = await generateKeyPair('RS256', { extractable: true });
    const other = await generateKeyPair('RS256', { extractable: true });
    signingPem = await exportSPKI(signing.publicKey);
    otherPem = await exportSPKI(other.publicKey);
    const now = Math.floor(Date.now() / 1000);
    jwt = await new SignJWT({ scope: 'addresses' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 28_799)
      .sign(signing.privateKey);
    registerSecrets(SECRET, jwt);
    server = await startRecordingServer(() => ({
      status: 200,
      body: {
        access_token: jwt,
        token_type: 'Bearer',
        issued_at: Date.now(),
        expires_in: 28_799,
        status: 'approved',
        public_key: Buffer.from(sendKey).toString('base64'),
      },
    }));
  });

  afterAll(async () => server.close());

  const account = (tokenChecks = '') =>
    resolveOAuthAccount(
      parseConfig(
        `clients: [{ id: c, apiKey: "client-key-0123456789abcd", accounts: [usps-main] }]
accounts:
  - id: usps-main
    carrier: usps
    urls: { token: "${server.url}/oauth2/v3/token", api: "${server.url}" }
    credentials: { clientId: usps-client, clientSecret: "${SECRET}" }
${tokenChecks}`,
        'test',
      ).accounts[0]!,
      0,
    );

  it('verifies the JWT with the key sent alongside it', async () => {
    sendKey = signingPem;
    const accepted = await exchangeToken(account(), { kind: 'initial' });
    expect(accepted.token.accessToken).toBe(jwt);
  });

  it('refuses a JWT the sent key does not verify', async () => {
    sendKey = otherPem;
    const error = await exchangeToken(account(), { kind: 'initial' }).catch((caught: unknown) => caught);
    expect(isGatewayError(error) && error.code).toBe('ERR_TOKEN_JWT_INVALID');
  });

  it('prefers a configured key over the one in the response', async () => {
    sendKey = otherPem;
    const configured = `    token: { publicKey: ${JSON.stringify(signingPem)} }`;
    const accepted = await exchangeToken(account(configured), { kind: 'initial' });
    expect(accepted.token.accessToken).toBe(jwt);
  });
});
