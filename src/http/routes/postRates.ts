/**
 * @module http/routes/postRates
 * `POST /v1/rates`: prices from every account the client may use (or those it names), in one
 * answer that comes by the request's deadline. The body is the shipment of `POST /v1/shipments`
 * (no Idempotency-Key: nothing is created) with an optional `deadlineMs`. Bad input is refused
 * before any carrier is asked; a carrier's failure is an entry in `errors`, never the status.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { rateRequestSchema } from '../../core/rates-adapter.js';
import { RatesService } from '../../rates/rates-service.js';
import { readJsonBody } from '../json-body.js';
import type { RouteDoc } from '../openapi-route.js';

/** A rate request is a shipment without labels: small. */
export const RATES_BODY_LIMIT_BYTES = 64 * 1024;

export function postRates(deps: { rates: RatesService }) {
  return async function rates(c: Context<AppEnv>) {
    // The deadline counts from here: reading and checking the body are part of it.
    const startedAt = performance.now();
    const client = c.get('client');
    const body = await readJsonBody(c, RATES_BODY_LIMIT_BYTES, 'a rates body');
    const request = RatesService.parse(body);
    const answer = await deps.rates.quote(client, request, startedAt, c.get('trace'));
    // How long the gateway took, for clients and benchmarks to tell it from the network's share.
    return c.json(answer, 200, {
      'server-timing': `rates;dur=${(performance.now() - startedAt).toFixed(1)}`,
    });
  };
}

export const postRatesDoc: RouteDoc = {
  method: 'post',
  path: '/v1/rates',
  operationId: 'quoteRates',
  tag: 'Rates and tracking',
  summary: 'Prices from every account of the client that can rate, by a deadline',
  description:
    'The body of `POST /v1/shipments` (no `Idempotency-Key`), with optional `accounts` and ' +
    '`deadlineMs` (default 2000, at most 10000). The answer comes at the deadline with what has ' +
    'arrived, or earlier when every account has answered; a late, failed, breaker-open, drained or ' +
    'unsupported account is listed in `errors`.',
  auth: 'client',
  body: {
    schema: rateRequestSchema,
    example: {
      accounts: ['ups-demo', 'fedex-demo'],
      deadlineMs: 2000,
      service: 'standard',
      shipper: {
        name: 'Shop',
        street: ['1 Main St'],
        city: 'Atlanta',
        postalCode: '30301',
        countryCode: 'US',
        stateCode: 'GA',
        phone: '4045550100',
      },
      recipient: {
        name: 'Ann',
        street: ['2 Oak Ave'],
        city: 'Dallas',
        postalCode: '75201',
        countryCode: 'US',
        stateCode: 'TX',
        phone: '2145550100',
      },
      parcels: [{ weightKg: 1.2, lengthCm: 20, widthCm: 15, heightCm: 10 }],
    },
  },
  answers: {
    200: {
      description:
        '`{ rates: [{ account, carrier, service, serviceCode, amount, currency, estimatedDays?, deliveryDate? }], errors: [{ account, code, detail? }] }`',
    },
  },
  problems: [
    'ERR_UNAUTHENTICATED',
    'ERR_ACCOUNT_FORBIDDEN',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_REQUEST_INVALID',
    'ERR_BODY_TOO_LARGE',
  ],
};
