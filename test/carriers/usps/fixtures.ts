/**
 * @module test/carriers/usps/fixtures
 * What the USPS tests share: the payment roles of the payments spec's request example
 * ([USPS-PAY] MinimumPaymentAuthorizationRequest, PAYER with an EPS account and LABEL_OWNER),
 * which is what an account's `payment` block holds.
 */
export const USPS_PAYMENT_ROLES = [
  {
    roleName: 'PAYER',
    CRID: '12345678',
    MID: '123456',
    manifestMID: '123456',
    accountType: 'EPS',
    accountNumber: '1234',
  },
  { roleName: 'LABEL_OWNER', CRID: '12345678', MID: '123456', manifestMID: '123456' },
];
