/**
 * @module test/carriers/usps/simulator
 * The USPS simulator speaks USPS v3 (carrier-auth-facts.md §5 and the USPS OpenAPI files): client
 * credentials in a JSON or form body, RS256 JWTs verifiable with the `public_key` of the token
 * response, RFC 6749 error bodies with the USPS wording, rotating single-use refresh tokens, the
 * authorization-code flow (an /authorize that consents at once, optional PKCE), the
 * `{apiVersion, error}` API error shape with `WWW-Authenticate: Bearer realm="https://api.usps.com"`,
 * scope checks, and the payment authorization token that labels require. Faults come from the kit.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  USPS_API_CHALLENGE,
  USPS_DEFAULT_FAULTS,
  USPS_DEFAULT_SCOPE,
  USPS_ISSUER,
  USPS_PATHS,
  startUspsSimulator,
  type UspsSimulatorHandle,
  type UspsSimulatorOptions,
  uspsExampleLabelRequest,
} from '../../../carriers/usps/simulator.js';
import { manualClock, type ManualClock } from '../../../src/sim/index.js';
import { call, connectionError, form, jwtPayload, postJson, type Reply } from '../../support/sim-http.js';
import { USPS_PAYMENT_ROLES } from './fixtures.js';

const CLIENT = { clientId: 'usps-consumer-key', clientSecret: 'usps-consumer-secret' };
const ADDRESSES_ONLY = { clientId: 'usps-addresses-only', clientSecret: 'addresses-secret' };
const OTHER = { clientId: 'usps-other-app', clientSecret: 'other-secret' };
const REDIRECT = 'https://shop.example/usps/callback';

/** [USPS-PAY] MinimumPaymentAuthorizationRequest. */
const PAYMENT_REQUEST = {
  roles: USPS_PAYMENT_ROLES,
};

const LABEL_REQUEST = uspsExampleLabelRequest();

/** The body [USPS-I68] observed for a missing or non-JWT token, for the given API. */
const missingTokenBody = (apiVersion: string) => ({
  apiVersion,
  error: {
    code: '401',
    message: 'Missing or malformed access token.',
    errors: [
      {
        title: 'invalid_token',
        detail: 'The access token presented with the request is missing or malformed (not a JWT).',
        source: 'Access Token',
      },
    ],
  },
});

const INVALID_CLIENT_BODY = {
  error: 'invalid_client',
  error_description:
    'InvalidApiKey: The client application credentials provided in the request are missing, invalid, inactive or not approved for access.',
  error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#page-45',
};

const bodyOf = (reply: Reply) => reply.body as Record<string, unknown>;

/**
 * Splits a multipart body into its parts as sent (headers lower-cased, content untouched): a
 * generic parser would apply the part's Content-Transfer-Encoding, which USPS says to ignore.
 */
function multipartParts(
  body: string,
  boundary: string,
): { headers: Record<string, string>; content: string }[] {
  expect(boundary).not.toBe('');
  expect(body.endsWith(`--${boundary}--\r\n`)).toBe(true);
  return body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((raw) => {
      const [head = '', content = ''] = raw.replace(/^\r\n/, '').replace(/\r\n$/, '').split('\r\n\r\n');
      const headers = Object.fromEntries(
        head.split('\r\n').map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      return { headers, content };
    });
}

/** The token answer's fields ([USPS-OAUTH] ClientApplicationTokenResponse), in its example's order, up to issuer... */
const TOKEN_FIELDS_HEAD = [
  'access_token',
  'token_type',
  'issued_at',
  'expires_in',
  'status',
  'scope',
  'issuer',
];
/** ...and from client_id on. */
const TOKEN_FIELDS_TAIL = ['client_id', 'application_name', 'api_products', 'public_key'];

describe('USPS simulator', () => {
  let usps: UspsSimulatorHandle;
  let clock: ManualClock;

  async function start(options: UspsSimulatorOptions = {}): Promise<void> {
    await usps?.close();
    usps = await startUspsSimulator({
      clients: [CLIENT, ADDRESSES_ONLY, OTHER],
      clientScopes: { [ADDRESSES_ONLY.clientId]: 'addresses' },
      clock,
      ...options,
    });
  }

  beforeEach(async () => {
    clock = manualClock();
    await start();
  });
  afterEach(() => usps.close());

  const tokenForm = (fields: Record<string, string>, client = CLIENT) =>
    call(
      `${usps.url}${USPS_PATHS.token}`,
      form({ client_id: client.clientId, client_secret: client.clientSecret, ...fields }),
    );
  const accessToken = async (client = CLIENT, scope?: string) => {
    const reply = await tokenForm({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, client);
    expect(reply.status).toBe(200);
    return bodyOf(reply)['access_token'] as string;
  };
  const refreshWith = (refreshToken: string, client = CLIENT) =>
    tokenForm({ grant_type: 'refresh_token', refresh_token: refreshToken }, client);
  const cityState = (token: string | undefined, zip: string | null = '10001') =>
    call(`${usps.url}${USPS_PATHS.cityState}${zip === null ? '' : `?ZIPCode=${zip}`}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  const paymentAuthorization = (token: string, body: unknown = PAYMENT_REQUEST) =>
    call(
      `${usps.url}${USPS_PATHS.paymentAuthorization}`,
      postJson(body, { authorization: `Bearer ${token}` }),
    );
  const obtainPaymentToken = async (token: string) => {
    const reply = await paymentAuthorization(token);
    expect(reply.status).toBe(200);
    return bodyOf(reply)['paymentAuthorizationToken'] as string;
  };
  const createLabel = (token: string, headers: Record<string, string>, body: unknown = LABEL_REQUEST) =>
    call(`${usps.url}${USPS_PATHS.label}`, postJson(body, { authorization: `Bearer ${token}`, ...headers }));

  describe('token endpoint', () => {
    it('client_credentials (form): the spec fields, numbers, an RS256 JWT verifiable with public_key, no refresh token', async () => {
      const reply = await tokenForm({ grant_type: 'client_credentials' });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('cache-control')).toBe('no-store');
      const body = bodyOf(reply);
      // [USPS-OAUTH] ClientApplicationTokenResponse, in the order of its example.
      expect(Object.keys(body)).toEqual([...TOKEN_FIELDS_HEAD, ...TOKEN_FIELDS_TAIL]);
      expect(body).toMatchObject({
        token_type: 'Bearer',
        issued_at: clock(),
        expires_in: 28799,
        status: 'approved',
        scope: USPS_DEFAULT_SCOPE,
        issuer: USPS_ISSUER,
        client_id: CLIENT.clientId,
      });
      expect(USPS_DEFAULT_FAULTS.tokenLifetimeSeconds).toBe(28799);

      // public_key is base64 of the SPKI PEM, and it verifies the token's signature.
      const pem = Buffer.from(body['public_key'] as string, 'base64').toString('utf8');
      expect(pem).toBe(usps.publicKeyPem);
      expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
      const token = body['access_token'] as string;
      const { payload, protectedHeader } = await jwtVerify(token, await importSPKI(pem, 'RS256'), {
        issuer: USPS_ISSUER,
        currentDate: new Date(clock()),
      });
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
      expect(payload).toMatchObject({
        sub: CLIENT.clientId,
        azp: CLIENT.clientId,
        scope: USPS_DEFAULT_SCOPE,
      });
      expect(payload.iat).toBe(Math.floor(clock() / 1000));
      expect(payload.nbf).toBe(payload.iat);
      expect(payload.exp).toBe(payload.iat! + 28799);

      expect(usps.isAccessTokenValid(token)).toBe(true);
      expect(usps.stats()).toMatchObject({
        tokenRequests: 1,
        tokensIssued: 1,
        tokenRequestsByClient: { [CLIENT.clientId]: 1 },
      });
    });

    it('accepts a JSON body as well (the spec declares both), and refuses other body types', async () => {
      const reply = await call(
        `${usps.url}${USPS_PATHS.token}`,
        postJson({
          grant_type: 'client_credentials',
          ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
        }),
      );
      expect(reply.status).toBe(200);
      expect(usps.isAccessTokenValid(bodyOf(reply)['access_token'] as string)).toBe(true);
      expect(usps.stats().tokenRequestsByClient).toEqual({ [CLIENT.clientId]: 1 });

      const text = await call(`${usps.url}${USPS_PATHS.token}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `grant_type=client_credentials&client_id=${CLIENT.clientId}&client_secret=${CLIENT.clientSecret}`,
      });
      expect(text.status).toBe(400);
      expect(bodyOf(text)['error']).toBe('invalid_request');
      expect(usps.stats().tokensIssued).toBe(1);
    });

    it('stringNumbers: issued_at, expires_in and the refresh fields arrive as strings, as in the README', async () => {
      await start({ stringNumbers: true });
      const cc = bodyOf(await tokenForm({ grant_type: 'client_credentials' }));
      expect(cc).toMatchObject({ issued_at: String(clock()), expires_in: '28799' });

      const refreshed = bodyOf(await refreshWith(usps.issueRefreshToken(CLIENT.clientId)));
      expect(refreshed).toMatchObject({
        issued_at: String(clock()),
        expires_in: '28799',
        refresh_token_issued_at: String(clock()),
        refresh_token_expires_in: '604799',
        refresh_count: '1',
      });
    });

    it('answers the two documented 401 invalid_client bodies with WWW-Authenticate, also after rotateSecret', async () => {
      const unknown = await tokenForm(
        { grant_type: 'client_credentials' },
        { clientId: 'nobody', clientSecret: 'x' },
      );
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual(INVALID_CLIENT_BODY);
      expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="https://api.usps.com/realms/USPS"');

      const wrongSecret = await tokenForm(
        { grant_type: 'client_credentials' },
        { clientId: CLIENT.clientId, clientSecret: 'not-it' },
      );
      expect(wrongSecret.status).toBe(401);
      expect(wrongSecret.body).toEqual({
        error: 'invalid_client',
        error_description: 'Client authentication failed.',
        error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#page-45',
      });
      expect(wrongSecret.headers.get('www-authenticate')).not.toBeNull();

      // Credentials in a Basic header only: the body has no client_id, which is the "missing" case.
      const basicOnly = await call(`${usps.url}${USPS_PATHS.token}`, {
        ...form({ grant_type: 'client_credentials' }),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        },
      });
      expect(basicOnly.status).toBe(401);
      expect(basicOnly.body).toEqual(INVALID_CLIENT_BODY);

      usps.rotateSecret(CLIENT.clientId, 'rotated-secret');
      expect((await tokenForm({ grant_type: 'client_credentials' })).status).toBe(401);
      const rotated = await tokenForm(
        { grant_type: 'client_credentials' },
        { clientId: CLIENT.clientId, clientSecret: 'rotated-secret' },
      );
      expect(rotated.status).toBe(200);
      expect(usps.stats().tokensIssued).toBe(1);
    });

    it('refuses the password grant (omitted by USPS) and a missing grant_type', async () => {
      const password = await tokenForm({ grant_type: 'password', username: 'u', password: 'p' });
      expect(password.status).toBe(400);
      expect(bodyOf(password)['error']).toBe('unsupported_grant_type');
      const missing = await tokenForm({});
      expect(missing.status).toBe(400);
      expect(bodyOf(missing)['error']).toBe('invalid_request');
      expect(usps.stats().tokensIssued).toBe(0);
    });

    it('grants the registered scope, a requested subset of it, and silently drops unregistered scopes', async () => {
      const narrowed = bodyOf(
        await tokenForm({ grant_type: 'client_credentials', scope: 'addresses labels' }),
      );
      expect(narrowed['scope']).toBe('addresses labels');
      expect(jwtPayload(narrowed['access_token'] as string)['scope']).toBe('addresses labels');

      // [USPS-I95]: asking for a scope the app is not registered for does not fail, it is left out.
      const limited = bodyOf(
        await tokenForm({ grant_type: 'client_credentials', scope: 'addresses payments' }, ADDRESSES_ONLY),
      );
      expect(limited['scope']).toBe('addresses');
      expect(bodyOf(await tokenForm({ grant_type: 'client_credentials' }, ADDRESSES_ONLY))['scope']).toBe(
        'addresses',
      );
    });
  });

  describe('refresh tokens and authorization codes', () => {
    it('rotates single-use refresh tokens; a reused one revokes the family with the documented 400', async () => {
      const seed = usps.issueRefreshToken(CLIENT.clientId);
      const first = await refreshWith(seed);
      expect(first.status).toBe(200);
      const firstBody = bodyOf(first);
      // [USPS-OAUTH] refreshTokenResponse: the refresh fields sit between issuer and client_id.
      expect(Object.keys(firstBody)).toEqual([
        ...TOKEN_FIELDS_HEAD,
        'refresh_token',
        'refresh_token_issued_at',
        'refresh_token_status',
        'refresh_token_expires_in',
        'refresh_count',
        ...TOKEN_FIELDS_TAIL,
      ]);
      expect(firstBody).toMatchObject({
        refresh_token_issued_at: clock(),
        refresh_token_status: 'approved',
        refresh_token_expires_in: 604799,
        refresh_count: 1,
      });
      expect(firstBody['refresh_token']).not.toBe(seed);

      const second = bodyOf(await refreshWith(firstBody['refresh_token'] as string));
      expect(second['refresh_count']).toBe(2);

      const replay = await refreshWith(seed);
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({
        error: 'invalid_request',
        error_description:
          'Invalid Refresh Token: Check the value of the refresh token. It may be missing, have expired or have been revoked.',
        error_uri: 'https://datatracker.ietf.org/doc/html/rfc7009#section-2.2.1',
        // USPS echoes the presented refresh token back ([USPS-OAUTH] invalidRefreshTokenResponse).
        refresh_token: seed,
        refresh_token_status: 'Not Found',
      });
      // The newest refresh token of the family is now revoked too.
      const latest = await refreshWith(second['refresh_token'] as string);
      expect(latest.status).toBe(400);
      expect(bodyOf(latest)['refresh_token_status']).toBe('revoked');
      expect(usps.stats()).toMatchObject({ refreshTokenReuses: 1, familiesRevoked: 1 });

      // Access tokens are self-contained JWTs and only refresh tokens can be revoked
      // ([USPS-OAUTH] /revoke): the family's last access token works until it expires.
      const access = second['access_token'] as string;
      expect((await cityState(access)).status).toBe(200);
      expect(usps.isAccessTokenValid(access)).toBe(true);
      clock.advance(28799 * 1000);
      expect((await cityState(access)).status).toBe(401);
      expect(usps.isAccessTokenValid(access)).toBe(false);
    });

    it('a refresh token of another client is "Not Found" and is not spent', async () => {
      const seed = usps.issueRefreshToken(CLIENT.clientId);
      const foreign = await refreshWith(seed, OTHER);
      expect(foreign.status).toBe(400);
      expect(bodyOf(foreign)).toMatchObject({ refresh_token: seed, refresh_token_status: 'Not Found' });
      expect((await refreshWith(seed)).status).toBe(200);
      expect(usps.stats().refreshTokenReuses).toBe(0);
    });

    it('an expired refresh token gets the refresh_token_expired body', async () => {
      const seed = usps.issueRefreshToken(CLIENT.clientId);
      clock.advance(604799 * 1000);
      const expired = await refreshWith(seed);
      expect(expired.status).toBe(400);
      expect(expired.body).toMatchObject({
        error: 'invalid_request',
        error_description: expect.stringMatching(/^refresh_token_expired: /),
        refresh_token: seed,
        refresh_token_status: 'expired',
      });
    });

    it('authorization_code: a consented code is exchanged once, with client credentials and the redirect_uri', async () => {
      const code = usps.issueAuthorizationCode(CLIENT.clientId, REDIRECT, {
        subject: 'customer-42',
        scope: 'addresses labels payments',
      });
      const exchange = (fields: Record<string, string> = {}) =>
        tokenForm({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...fields });
      const codeError = {
        error: 'invalid_request',
        error_description:
          'Authorizaton Code Error: either the authorization code has expired, is invalid, or the redirect_uri is not registered.',
        error_uri: 'https://datatracker.ietf.org/doc/html/rfc7009#section-2.2.1',
      };

      expect((await exchange({ redirect_uri: 'https://evil.example/' })).body).toEqual(codeError);
      const first = await exchange();
      expect(first.status).toBe(200);
      const body = bodyOf(first);
      expect(body).toMatchObject({ scope: 'addresses labels payments', refresh_count: 0 });
      expect(jwtPayload(body['access_token'] as string)).toMatchObject({
        sub: 'customer-42',
        azp: CLIENT.clientId,
      });
      expect((await exchange()).body).toEqual(codeError);

      // The consent's scope carries over to refreshes.
      const refreshed = bodyOf(await refreshWith(body['refresh_token'] as string));
      expect(refreshed['scope']).toBe('addresses labels payments');
      expect(jwtPayload(refreshed['access_token'] as string)['sub']).toBe('customer-42');

      const late = usps.issueAuthorizationCode(CLIENT.clientId, REDIRECT);
      clock.advance(10 * 60 * 1000);
      const expired = await tokenForm({
        grant_type: 'authorization_code',
        code: late,
        redirect_uri: REDIRECT,
      });
      expect(expired.body).toEqual(codeError);
    });

    it('/authorize redirects back with a code and the state; the code is exchanged for the consented scope', async () => {
      const authorize = (query: Record<string, string>) =>
        call(`${usps.url}${USPS_PATHS.authorize}?${new URLSearchParams(query)}`);
      const reply = await authorize({
        client_id: CLIENT.clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'addresses labels',
        state: 'xyz-123',
      });
      expect(reply.status).toBe(302);
      const location = new URL(reply.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get('state')).toBe('xyz-123');
      const code = location.searchParams.get('code') ?? '';
      const exchanged = bodyOf(
        await tokenForm({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      );
      expect(exchanged).toMatchObject({ scope: 'addresses labels', refresh_token: expect.any(String) });
      expect(jwtPayload(exchanged['access_token'] as string)['sub']).toBe('usps-customer');

      // Unknown client: the token endpoint's InvalidApiKey answer, and no redirect.
      const unknown = await authorize({ client_id: 'nobody', redirect_uri: REDIRECT, response_type: 'code' });
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual(INVALID_CLIENT_BODY);
      // Not a code request: the error goes back on the redirect (RFC 6749 4.1.2.1).
      const token = await authorize({
        client_id: CLIENT.clientId,
        redirect_uri: REDIRECT,
        response_type: 'token',
      });
      expect(new URL(token.headers.get('location') ?? '').searchParams.get('error')).toBe(
        'unsupported_response_type',
      );
    });

    it('/authorize refuses a redirect_uri the client did not register with the documented 400', async () => {
      await start({ redirectUris: { [CLIENT.clientId]: [REDIRECT] } });
      const reply = await call(
        `${usps.url}${USPS_PATHS.authorize}?${new URLSearchParams({
          client_id: CLIENT.clientId,
          redirect_uri: 'https://evil.example/cb',
          response_type: 'code',
        })}`,
      );
      expect(reply.status).toBe(400);
      expect(reply.headers.get('location')).toBeNull();
      expect(reply.body).toEqual({
        error: 'invalid_request',
        error_description: 'The redirect_uri is invalid.',
        error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#section-4.1.2.1',
      });
    });

    it('PKCE: a code issued with an S256 challenge needs the matching code_verifier', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const issue = () =>
        usps.issueAuthorizationCode(CLIENT.clientId, REDIRECT, {
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
        });
      const exchange = (code: string, extra: Record<string, string>) =>
        tokenForm({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra });

      expect((await exchange(issue(), {})).status).toBe(400);
      expect((await exchange(issue(), { code_verifier: randomBytes(32).toString('base64url') })).status).toBe(
        400,
      );
      const good = await exchange(issue(), { code_verifier: verifier });
      expect(good.status).toBe(200);
      expect(usps.stats().tokensIssued).toBe(1);
    });
  });

  describe('protected APIs', () => {
    it('city-state answers the spec shape for the probe ZIP Code and validates ZIPCode', async () => {
      const token = await accessToken();
      const reply = await cityState(token);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ city: 'NEW YORK', state: 'NY', ZIPCode: '10001' });

      for (const zip of ['1000', 'abcde', null]) {
        const bad = await cityState(token, zip);
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({
          apiVersion: '/addresses/v3/',
          error: { code: '400', errors: [{ source: { parameter: 'ZIPCode' } }] },
        });
      }
      const unknown = await cityState(token, '00000');
      expect(unknown.status).toBe(404);
      expect(bodyOf(unknown)['apiVersion']).toBe('/addresses/v3/');
      expect(usps.stats()).toMatchObject({ apiRequests: 5, apiRejections: 0 });
    });

    it('401 with the observed body and the realm challenge for a missing or non-JWT token', async () => {
      for (const token of [undefined, 'opaque-not-a-jwt']) {
        const reply = await cityState(token);
        expect(reply.status).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(USPS_API_CHALLENGE);
        expect(reply.body).toEqual(missingTokenBody('/addresses/v3/'));
      }
      const payments = await paymentAuthorization('still.not-a.jwt!');
      expect(payments.body).toEqual(missingTokenBody('/payments/v3/'));
      expect(usps.stats().apiRejections).toBe(3);
    });

    it('401 for an expired, prematurely dropped or foreign JWT; the USPS error shape throughout', async () => {
      const token = await accessToken();
      // A JWT the simulator never issued (another simulator's key).
      const other = await startUspsSimulator({ clients: [CLIENT] });
      let foreign: string;
      try {
        const reply = await call(
          `${other.url}${USPS_PATHS.token}`,
          form({ grant_type: 'client_credentials', ...CLIENT }),
        );
        foreign = bodyOf(reply)['access_token'] as string;
      } finally {
        await other.close();
      }
      const rejected = await cityState(foreign);
      expect(rejected.status).toBe(401);
      expect(rejected.headers.get('www-authenticate')).toBe(USPS_API_CHALLENGE);
      expect(rejected.body).toMatchObject({
        apiVersion: '/addresses/v3/',
        error: { code: '401', errors: [{ title: 'invalid_token' }] },
      });

      await usps.setFaults({ prematureExpirySeconds: 60 });
      clock.advance(61_000);
      expect((await cityState(token)).status).toBe(401);
      await usps.setFaults({ prematureExpirySeconds: null });
      expect((await cityState(token)).status).toBe(200);
      clock.advance(28799 * 1000);
      const expired = await cityState(token);
      expect(expired.status).toBe(401);
      expect(JSON.stringify(expired.body)).toMatch(/expired/);
    });

    it('403 "Access is denied." in the USPS shape when the token lacks the API scope', async () => {
      const addressesOnly = await accessToken(ADDRESSES_ONLY);
      expect((await cityState(addressesOnly)).status).toBe(200);
      const payments = await paymentAuthorization(addressesOnly);
      expect(payments.status).toBe(403);
      expect(payments.body).toMatchObject({
        apiVersion: '/payments/v3/',
        error: { code: '403', message: 'Access is denied.', errors: [{ status: '403' }] },
      });
      expect(payments.headers.get('www-authenticate')).toBeNull();

      const narrowed = await accessToken(CLIENT, 'payments');
      expect((await cityState(narrowed)).status).toBe(403);
      expect((await createLabel(narrowed, {})).status).toBe(403);
      // A 403 is not a token rejection.
      expect(usps.stats().apiRejections).toBe(0);
    });
  });

  describe('payment authorization and labels', () => {
    it('issues an eight-hour payment authorization token and echoes the roles', async () => {
      const reply = await paymentAuthorization(await accessToken());
      expect(reply.status).toBe(200);
      const body = bodyOf(reply);
      expect(body['roles']).toEqual(PAYMENT_REQUEST.roles);
      const paymentToken = body['paymentAuthorizationToken'] as string;
      expect(decodeProtectedHeader(paymentToken).alg).toBe('RS256');
      const claims = jwtPayload(paymentToken);
      expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(8 * 3600);
      // A credential: listed with the issued tokens so leak scans look for it.
      expect(usps.issuedTokens()).toContain(paymentToken);
    });

    it('validates the Parties body: roles, LABEL_OWNER, PAYER account fields, unique roles', async () => {
      const token = await accessToken();
      const owner = PAYMENT_REQUEST.roles[1]!;
      const payer = PAYMENT_REQUEST.roles[0]!;
      const cases: unknown[] = [
        {},
        { roles: [] },
        { roles: [payer] },
        { roles: [{ ...owner, MID: '12345' }] },
        { roles: [owner, { ...payer, accountNumber: undefined }] },
        { roles: [owner, owner] },
        { roles: [owner, { roleName: 'BOSS' }] },
      ];
      for (const body of cases) {
        const reply = await paymentAuthorization(token, body);
        expect(reply.status, JSON.stringify(body)).toBe(400);
        expect(bodyOf(reply)['apiVersion']).toBe('/payments/v3/');
      }
      // The PC Postage flow: LABEL_OWNER alone ([USPS-PAY] MinimumPaymentAuthorizationRequestPCPostage).
      expect((await paymentAuthorization(token, { roles: [owner] })).status).toBe(200);
    });

    it('a label needs the Bearer token AND a valid X-Payment-Authorization-Token', async () => {
      const token = await accessToken();
      const missing = await createLabel(token, {});
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({
        apiVersion: '/labels/v3/',
        error: { errors: [{ source: { parameter: 'X-Payment-Authorization-Token' } }] },
      });

      const bogus = await createLabel(token, { 'x-payment-authorization-token': 'not-issued' });
      expect(bogus.status).toBe(401);
      // Not the access token's fault: no Bearer challenge.
      expect(bogus.headers.get('www-authenticate')).toBeNull();
      expect(bogus.body).toMatchObject({
        error: { errors: [{ source: { parameter: 'X-Payment-Authorization-Token' } }] },
      });

      const paymentToken = await obtainPaymentToken(token);
      // Bound to the application that obtained it.
      const otherApp = await createLabel(await accessToken(OTHER), {
        'x-payment-authorization-token': paymentToken,
      });
      expect(otherApp.status).toBe(401);

      const noBearer = await call(
        `${usps.url}${USPS_PATHS.label}`,
        postJson(LABEL_REQUEST, { 'x-payment-authorization-token': paymentToken }),
      );
      expect(noBearer.status).toBe(401);
      expect(noBearer.body).toEqual(missingTokenBody('/labels/v3/'));

      const incomplete = await createLabel(
        token,
        { 'x-payment-authorization-token': paymentToken },
        { ...LABEL_REQUEST, toAddress: undefined },
      );
      expect(incomplete.status).toBe(400);
      expect(usps.labelsCreated()).toBe(0);
    });

    it('answers a multipart label (metadata + base64 image) by default, one JSON object on request', async () => {
      const token = await accessToken();
      const paymentToken = await obtainPaymentToken(token);
      const response = await fetch(`${usps.url}${USPS_PATHS.label}`, {
        ...postJson(LABEL_REQUEST, {
          authorization: `Bearer ${token}`,
          'x-payment-authorization-token': paymentToken,
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
      const boundary = /boundary=(\S+)$/.exec(response.headers.get('content-type') ?? '')?.[1] ?? '';
      const parts = multipartParts(await response.text(), boundary);
      expect(parts.map((part) => part.headers['content-disposition'])).toEqual([
        'form-data; name="labelMetadata"',
        'form-data; name="labelImage"; filename="labelImage.pdf"',
      ]);
      const [metadataPart, imagePart] = parts;
      expect(metadataPart!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(metadataPart!.content)).toMatchObject({
        routingInformation: '42063104',
        trackingNumber: expect.stringMatching(/^92\d{20}$/),
        labelAddress: { firstName: 'Nick', ZIPCode: '63104' },
        mailingDate: '2024-10-05T22:00:00Z',
        weight: 0.5,
      });
      // "The contents of this part are always Base64 encoded" ([USPS-LABELS] post-label).
      expect(imagePart!.content).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(imagePart!.content, 'base64').subarray(0, 5).toString()).toBe('%PDF-');

      const vendor = await createLabel(token, {
        'x-payment-authorization-token': paymentToken,
        accept: 'application/vnd.usps.labels+json',
      });
      expect(vendor.headers.get('content-type')).toBe('application/vnd.usps.labels+json');
      expect(vendor.body).toMatchObject({ routingInformation: '42063104', labelImage: expect.any(String) });
      expect(usps.labelsCreated()).toBe(2);
    });

    it('X-Idempotency-Key: the same key and payload return the same label; another payload is refused', async () => {
      const token = await accessToken();
      const headers = {
        'x-payment-authorization-token': await obtainPaymentToken(token),
        'x-idempotency-key': '8be4df61-93ca-11d2-aa0d-00e098032b8c',
        accept: 'application/vnd.usps.labels+json',
      };
      const first = await createLabel(token, headers);
      const again = await createLabel(token, headers);
      expect(first.status).toBe(200);
      expect(bodyOf(again)['trackingNumber']).toBe(bodyOf(first)['trackingNumber']);
      expect(usps.labelsCreated()).toBe(1);

      const changed = await createLabel(token, headers, {
        ...LABEL_REQUEST,
        packageDescription: { ...LABEL_REQUEST.packageDescription, weight: 2 },
      });
      expect(changed.status).toBe(400);
      const fresh = await createLabel(token, { ...headers, 'x-idempotency-key': randomUUID() });
      expect(bodyOf(fresh)['trackingNumber']).not.toBe(bodyOf(first)['trackingNumber']);
      expect((await createLabel(token, { ...headers, 'x-idempotency-key': 'not-a-uuid' })).status).toBe(400);
      expect(usps.labelsCreated()).toBe(2);
    });

    it('the payment authorization token expires after eight hours, independently of the access token', async () => {
      const paymentToken = await obtainPaymentToken(await accessToken());
      clock.advance(8 * 3600 * 1000 - 1000);
      // The first access token expired after 28799 s; a new one still meets the old payment token.
      const token = await accessToken();
      expect((await createLabel(token, { 'x-payment-authorization-token': paymentToken })).status).toBe(200);
      clock.advance(1000);
      expect((await createLabel(token, { 'x-payment-authorization-token': paymentToken })).status).toBe(401);
    });
  });

  describe('faults (kit) in USPS shape', () => {
    it('throttle: 429 SpikeArrestViolation, with Retry-After only when the fault sets it', async () => {
      await usps.setFaults({ throttle: { count: 2, retryAfterSeconds: 30 } });
      const throttled = await tokenForm({ grant_type: 'client_credentials' });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('30');
      expect(throttled.body).toEqual({
        error: 'invalid_request',
        error_description: 'SpikeArrestViolation: Too many requests received from client in a short time.',
        error_uri: 'https://datatracker.ietf.org/doc/html/rfc6585#section-4',
      });
      expect((await tokenForm({ grant_type: 'client_credentials' })).status).toBe(429);
      expect((await tokenForm({ grant_type: 'client_credentials' })).status).toBe(200);

      await usps.setFaults({ throttle: { count: 1 } });
      const bare = await tokenForm({ grant_type: 'client_credentials' });
      expect(bare.status).toBe(429);
      expect(bare.headers.get('retry-after')).toBeNull();
      expect(usps.stats()).toMatchObject({ tokenRequests: 4, tokensIssued: 1 });
    });

    it('server errors: 503 (with Retry-After when configured) and 500, RFC 6749-shaped', async () => {
      await start({ serverErrorRetryAfterSeconds: 5 });
      await usps.setFaults({ tokenServerErrors: 1 });
      const unavailable = await tokenForm({ grant_type: 'client_credentials' });
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('retry-after')).toBe('5');
      expect(bodyOf(unavailable)['error']).toEqual(expect.any(String));

      await usps.setFaults({ tokenServerErrors: 1, tokenServerErrorStatus: 500 });
      const failed = await tokenForm({ grant_type: 'client_credentials' });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('retry-after')).toBeNull();
      expect((await tokenForm({ grant_type: 'client_credentials' })).status).toBe(200);
    });

    it('errorInSuccessBody: HTTP 200 carrying the invalid_client body, nothing issued', async () => {
      await usps.setFaults({ errorInSuccessBody: true });
      const lying = await tokenForm({ grant_type: 'client_credentials' });
      expect(lying.status).toBe(200);
      expect(lying.body).toEqual(INVALID_CLIENT_BODY);
      expect(usps.stats().tokensIssued).toBe(0);
    });

    it('skew moves issued_at, the Date header and JWT iat/exp together', async () => {
      await usps.setFaults({ skewSeconds: 120 });
      const reply = await tokenForm({ grant_type: 'client_credentials' });
      const body = bodyOf(reply);
      expect(body['issued_at']).toBe(clock() + 120_000);
      expect(Date.parse(reply.headers.get('date') ?? '')).toBe(Math.floor((clock() + 120_000) / 1000) * 1000);
      const claims = jwtPayload(body['access_token'] as string);
      expect(claims['iat']).toBe(Math.floor((clock() + 120_000) / 1000));
      expect(claims['exp']).toBe((claims['iat'] as number) + 28799);
    });

    it('tokenLifetimeSeconds sets expires_in and the JWT exp; the API enforces it', async () => {
      await usps.setFaults({ tokenLifetimeSeconds: 60 });
      const body = bodyOf(await tokenForm({ grant_type: 'client_credentials' }));
      expect(body['expires_in']).toBe(60);
      const token = body['access_token'] as string;
      expect((jwtPayload(token)['exp'] as number) - (jwtPayload(token)['iat'] as number)).toBe(60);
      clock.advance(60_000);
      expect((await cityState(token)).status).toBe(401);
    });

    it('outages and the control API apply to the USPS endpoints', async () => {
      const response = await fetch(`${usps.url}/__sim/faults`, {
        ...postJson({ throttle: { count: 1, retryAfterSeconds: 7 } }),
      });
      expect(response.status).toBe(200);
      expect((await tokenForm({ grant_type: 'client_credentials' })).headers.get('retry-after')).toBe('7');

      await usps.setFaults({ outage: 'reset' });
      expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(
        await connectionError(`${usps.url}${USPS_PATHS.cityState}?ZIPCode=10001`),
      );
      expect(usps.stats().connectionsReset).toBe(1);
      await usps.setFaults({ outage: 'refuse' });
      expect(await connectionError(`${usps.url}${USPS_PATHS.token}`, { method: 'POST' })).toBe(
        'ECONNREFUSED',
      );
      await usps.resetFaults();
      expect((await tokenForm({ grant_type: 'client_credentials' })).status).toBe(200);
    });
  });
});
