/**
 * @module test/support/shipping-accounts
 * The two shipping accounts most gateway tests configure: `ups-main` and `fedex-main` pointed at
 * their simulators, with the shipping data each label call needs (the UPS shipper number and the
 * FedEx account number of the carriers' spec examples).
 */
interface Reachable {
  url: string;
}

interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export function upsMainAccount(
  ups: Reachable,
  credentials: ClientCredentials,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: 'ups-main',
    carrier: 'ups',
    urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
    credentials,
    shipping: { shipperNumber: 'A1B2C3' },
    ...extra,
  };
}

export function fedexMainAccount(
  fedex: Reachable,
  credentials: ClientCredentials,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: 'fedex-main',
    carrier: 'fedex',
    urls: { token: `${fedex.url}/oauth/token`, api: fedex.url },
    credentials,
    shipping: { accountNumber: '740561073' },
    ...extra,
  };
}
