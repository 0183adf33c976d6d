/**
 * @module test/health/probes-contract.test
 * Each carrier's probe data (`carriers/<carrier>/api.ts`), built into the request the probe sends
 * to the carrier's production host, is accepted by the operation its comment cites in the
 * carrier's published spec (../shared/carrier-specs): method, path, query, headers, security and
 * body. The generic OAuth 2.0 adapter has no spec and is left out.
 */
import { randomUUID } from 'node:crypto';

import { expect, it } from 'vitest';
import { stringify } from 'yaml';

import { CARRIERS } from '../../carriers/index.js';
import { resolveAccount } from '../../src/accounts/resolve.js';
import { type ConfiguredAccount } from '../../src/core/account.js';
import { parseConfig } from '../../config/load.js';
import { buildProbeRequest } from '../../src/probes/call.js';
import { tokenMode } from '../../src/probes/token.js';
import { registerSecrets } from '../support/log-capture.js';
import { describeContract, loadSpec, validateRequest } from '../support/openapi-contract.js';

const SECRET = `probe-contract-secret-${randomUUID()}`;
const TOKEN = `probe-contract-token-${randomUUID()}`;
registerSecrets(SECRET, TOKEN);

function accountOf(carrier: string, extra: Record<string, unknown> = {}): ConfiguredAccount {
  const list = [
    {
      id: `${carrier}-contract`,
      carrier,
      environment: 'production',
      credentials: { clientId: 'probe-contract', clientSecret: SECRET, username: 'gkp', password: SECRET },
      ...extra,
    },
  ];
  const yaml = stringify({
    clients: [{ id: 'shop', apiKey: `shop-${SECRET}`, accounts: [list[0]!.id] }],
    accounts: list,
  });
  return resolveAccount(parseConfig(yaml, 'test').accounts[0]!, 0);
}

const CASES: [carrier: string, spec: string, operationId: string, extra?: Record<string, unknown>][] = [
  ['ups', 'ups/AddressValidation.yaml', 'AddressValidation'],
  ['fedex', 'fedex/Addresses-Resource.json', 'Validate Address'],
  ['dhl-parcel-de', 'dhl/pp-account-auth-ropc_0.yaml', 'hello'],
  ['dhl-express', 'dhl/dpdhl-express-api-3.1.1_swagger.yaml', 'exp-api-address-validate'],
  ['usps', 'usps/addresses.yaml', 'get-city-state'],
  ['laposte', 'laposte/la-poste-groupe-suivi-openapi.json', '1.0'],
  ['colissimo', 'laposte/colissimo-shipping-openapi.json', 'checkGenerateLabel_1'],
];

describeContract('probe requests against the carriers’ specs', () => {
  it.each(CASES)('%s: the probe is a valid %s request', async (carrier, file, operationId, extra) => {
    const account = accountOf(carrier, extra);
    const probe = account.descriptor.data.probe!;
    const credential = account.kind === 'static' ? account.staticCredential.value : TOKEN;
    const request = buildProbeRequest(account, probe, credential);
    const spec = await loadSpec(file);
    const result = validateRequest(
      spec,
      {
        method: request.method,
        url: request.url.toString(),
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
      },
      // Colissimo's spec names an internal host whose base path is not the public one (api.ts).
      carrier === 'colissimo' ? { serverBase: account.api.baseUrl.toString() } : {},
    );
    expect(result.errors, `contract errors:\n${result.errors.join('\n')}`).toEqual([]);
    expect(result.operationId ?? result.operation).toBe(operationId);
  });

  it('every carrier has probe data, and the token mode follows it', () => {
    for (const [id, carrier] of Object.entries(CARRIERS)) expect(carrier.data.probe, id).toBeDefined();
    expect(tokenMode(accountOf('fedex'))).toBe('fresh');
    expect(tokenMode(accountOf('fedex', { tokenQuotaPerHour: 100 }))).toBe('shared');
    expect(tokenMode(accountOf('ups'))).toBe('shared');
    expect(tokenMode(accountOf('usps'))).toBe('shared');
    expect(tokenMode(accountOf('dhl-parcel-de'))).toBe('shared');
    expect(tokenMode(accountOf('dhl-express'))).toBe('static');
    expect(tokenMode(accountOf('colissimo'))).toBe('static');
    expect(tokenMode(accountOf('laposte'))).toBe('static');
  });
});
