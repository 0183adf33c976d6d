/**
 * @module test/carriers/usps/payment.contract.test
 * The request the gateway itself makes for a USPS account's dependent token: the
 * payment-authorization call (roles from the account's `payment` configuration, the parent
 * Bearer token) validated against payments.yaml, and the label call that follows carrying
 * `X-Payment-Authorization-Token` validated against domestic-labels.yaml. Negative controls show
 * the validator would catch a broken request.
 */
import { randomUUID } from 'node:crypto';

import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { uspsExampleLabelRequest } from '../../../carriers/usps/simulator.js';
import { expectValid, only, pathOf, proxyToStandIn, useSpecs } from '../../support/contract-checks.js';
import { registerSecrets } from '../../support/log-capture.js';
import { describeContract, validateRequest } from '../../support/openapi-contract.js';
import {
  startRecordingServer,
  type RecordedRequest,
  type RecordingServer,
} from '../../support/recording-server.js';
import { startTestGateway } from '../../support/test-gateway.js';
import { USPS_PAYMENT_ROLES } from './fixtures.js';

const CLIENT_KEY = `usps-payment-contract-key-${randomUUID()}`;
const USPS = { clientId: 'usps-payment-client', clientSecret: `usps-payment-secret-${randomUUID()}` };
const PAYMENT_TOKEN = `usps-payment-authorization-${randomUUID()}`;
registerSecrets(CLIENT_KEY, USPS.clientSecret, PAYMENT_TOKEN);

const LABEL_BODY = JSON.stringify(uspsExampleLabelRequest());

let signingKey: CryptoKey;
let carrier: RecordingServer;

beforeAll(async () => {
  signingKey = (await generateKeyPair('RS256')).privateKey;
  carrier = await startRecordingServer(async (req) => {
    const path = pathOf(req.url);
    if (path === '/oauth2/v3/token') {
      const accessToken = await new SignJWT({ scope: 'payments labels', azp: USPS.clientId })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('contract-customer')
        .setIssuedAt()
        .setExpirationTime('28799s')
        .sign(signingKey);
      registerSecrets(accessToken);
      return {
        status: 200,
        body: { access_token: accessToken, token_type: 'Bearer', expires_in: 28799, issued_at: Date.now() },
      };
    }
    // payments.yaml 200 response: the token to send on label calls.
    if (path === '/payments/v3/payment-authorization')
      return { status: 200, body: { paymentAuthorizationToken: PAYMENT_TOKEN } };
    return { status: 200, body: {} };
  });
});

afterAll(async () => carrier?.close());

describeContract('the gateway’s own USPS payment-authorization request', () => {
  const specs = useSpecs({
    payments: 'usps/payments.yaml',
    labels: 'usps/domestic-labels.yaml',
  });
  let paymentCall: RecordedRequest;
  let labelCall: RecordedRequest;

  beforeAll(async () => {
    const account = {
      id: 'usps-payment-contract',
      carrier: 'usps',
      urls: { token: `${carrier.url}/oauth2/v3/token`, api: carrier.url },
      credentials: { ...USPS },
      payment: { roles: USPS_PAYMENT_ROLES },
    };
    const gateway = await startTestGateway({
      name: 'usps-payment-contract',
      clientKey: CLIENT_KEY,
      accounts: [account],
    });
    try {
      await proxyToStandIn(gateway, CLIENT_KEY, account.id, '/labels/v3/label', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: LABEL_BODY,
      });
    } finally {
      await gateway.close();
    }
    const find = (path: string) => carrier.requests.filter((req) => pathOf(req.url) === path);
    paymentCall = only(find('/payments/v3/payment-authorization'), 'payment authorization');
    labelCall = only(find('/labels/v3/label'), 'label call');
  }, 30_000);

  it('payment-authorization POST: Bearer and the configured roles, valid per payments.yaml', () => {
    expectValid(validateRequest(specs.payments, paymentCall), 'post-payments-payment-authorization');
    expect(JSON.parse(paymentCall.body)).toEqual({ roles: USPS_PAYMENT_ROLES });
  });

  it('the label POST then carries the payment token, valid per domestic-labels.yaml', () => {
    expect(labelCall.headers['x-payment-authorization-token']).toBe(PAYMENT_TOKEN);
    expectValid(validateRequest(specs.labels, labelCall), 'post-label');
  });

  it('negative controls: no Bearer, or no roles, fail payments.yaml', () => {
    const headers = { ...paymentCall.headers };
    delete headers.authorization;
    expect(validateRequest(specs.payments, { ...paymentCall, headers }).ok).toBe(false);
    expect(validateRequest(specs.payments, { ...paymentCall, body: JSON.stringify({}) }).ok).toBe(false);
  });

  it('negative control: the label POST without the payment token fails domestic-labels.yaml', () => {
    const headers = { ...labelCall.headers };
    delete headers['x-payment-authorization-token'];
    const result = validateRequest(specs.labels, { ...labelCall, headers });
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toMatch(/x-payment-authorization-token/i);
  });
});
