/**
 * @module test/support/shipments
 * A domestic US shipment every carrier test can send through `POST /v1/shipments`.
 */
export const SHIPMENT = {
  service: 'standard',
  shipper: {
    name: 'Warehouse',
    company: 'Shop Inc',
    street: ['1 Main St'],
    city: 'Atlanta',
    postalCode: '30301',
    countryCode: 'US',
    stateCode: 'GA',
    phone: '4045550100',
  },
  recipient: {
    name: 'Ann Buyer',
    street: ['2 Oak Ave'],
    city: 'Dallas',
    postalCode: '75201',
    countryCode: 'US',
    stateCode: 'TX',
    phone: '2145550100',
  },
  parcels: [{ weightKg: 1.2, lengthCm: 20, widthCm: 15, heightCm: 10 }],
  reference: 'order-1042',
};
