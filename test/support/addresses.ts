/**
 * @module test/support/addresses
 * The addresses the label tests ship between, each written once: every carrier's adapter test
 * and label-contract test take theirs from here and add, by spread, the fields a case needs
 * (a phone format, another street line). `shipmentWith` makes a carrier's default shipment, with
 * fields laid over it, through the real shipment schema.
 */
import { shipmentRequestSchema, type ShipmentRequest } from '../../src/core/shipment.js';

/** A shipment maker: the defaults, then a case's fields over them. */
export function shipmentWith(defaults: Record<string, unknown>) {
  return (fields: Record<string, unknown> = {}): ShipmentRequest =>
    shipmentRequestSchema.parse({ service: 'standard', ...defaults, ...fields });
}

// United States (UPS, FedEx, USPS)
export const NEW_YORK = {
  name: 'Ada Lovelace',
  company: 'Analytical Engines Inc',
  street: ['350 5th Ave', 'Floor 34'],
  city: 'New York',
  postalCode: '10118',
  countryCode: 'US',
  stateCode: 'NY',
  phone: '+1 (212) 736-3100',
  email: 'ada@example.com',
};
export const LOS_ANGELES = {
  name: 'Grace Hopper',
  street: ['1 World Way'],
  city: 'Los Angeles',
  postalCode: '90045',
  countryCode: 'US',
  stateCode: 'CA',
};
export const MEMPHIS = {
  ...NEW_YORK,
  street: ['3875 Airways Blvd', 'Module H'],
  city: 'Memphis',
  postalCode: '38116',
  stateCode: 'TN',
  phone: '+1 (901) 369-3600',
};
export const PITTSBURGH = {
  name: 'Grace Hopper',
  street: ['45 Noblestown Rd'],
  city: 'Pittsburgh',
  postalCode: '15220',
  countryCode: 'US',
  stateCode: 'PA',
  phone: '412-555-0100',
};
export const WASHINGTON = {
  name: 'Sam Wilson',
  company: 'Avengers Logistics',
  street: ['45 L St SW'],
  city: 'Washington',
  postalCode: '20024',
  countryCode: 'US',
  stateCode: 'DC',
  phone: '+1 (202) 555-0143',
  email: 'sam@example.com',
};
export const ST_LOUIS = {
  name: 'Nick Fury',
  street: ['2700 S Jefferson Ave', 'STE 150'],
  city: 'St. Louis',
  postalCode: '63104-2351',
  countryCode: 'US',
  stateCode: 'mo',
};
export const HONOLULU = {
  name: 'Kamala',
  company: 'Aloha Surf Supplies With A Name Longer Than Fifty Characters',
  street: ['2255 Kalakaua Ave'],
  city: 'Honolulu',
  postalCode: '96815',
  countryCode: 'US',
  stateCode: 'HI',
  phone: '808 555 0199',
  email: 'kamala@example.com',
};

// Canada
export const RICHMOND_BC = {
  name: 'Emmy Noether',
  street: ['5300 No. 3 Rd'],
  city: 'Richmond',
  postalCode: 'V6X 2X9',
  countryCode: 'CA',
  stateCode: 'BC',
  phone: '604-555-0199',
};
export const TORONTO = {
  name: 'Maria Hill',
  street: ['100 Queen St W'],
  city: 'Toronto',
  postalCode: 'M5H 2N2',
  countryCode: 'CA',
  stateCode: 'ON',
};

// Germany (UPS, DHL Express, DHL Parcel DE, Colissimo)
export const GOETTINGEN = {
  name: 'Emmy Noether',
  street: ['Bunsenstrasse 3-5'],
  city: 'Goettingen',
  postalCode: '37073',
  countryCode: 'DE',
};
export const BERLIN_DAHLEM = {
  name: 'Lise Meitner',
  company: 'KWI',
  street: ['Thielallee 63'],
  city: 'Berlin',
  postalCode: '14195',
  countryCode: 'DE',
  phone: '+49 30 838 1',
};
export const BERLIN_MITTE = {
  name: 'Erika Mustermann',
  company: 'Example Kunde GmbH',
  street: ['Invalidenstr. 1'],
  city: 'Berlin',
  postalCode: '10115',
  countryCode: 'DE',
  phone: '+4930123456',
};
export const BERLIN_KREUZBERG = {
  name: 'Maria Musterfrau',
  street: ['Kurt-Schumacher-Str. 20'],
  city: 'Berlin',
  postalCode: '10115',
  countryCode: 'DE',
  phone: '+49 987654321',
};
export const BONN = {
  name: 'Max Mustermann',
  company: 'My Online Shop GmbH',
  street: ['Sträßchensweg 10'],
  city: 'Bonn',
  postalCode: '53113',
  countryCode: 'DE',
  email: 'max@example.com',
};

// Rest of Europe
export const PRAGUE = {
  name: 'Jan Novak',
  company: 'Example Shop s.r.o.',
  street: ['V Parku 2308/10'],
  city: 'Prague',
  postalCode: '14800',
  countryCode: 'CZ',
  phone: '+420123456789',
  email: 'jan@example.com',
};
export const BRNO = {
  name: 'Eva Svobodova',
  street: ['Kounicova 10', 'Building C', '3rd floor'],
  city: 'Brno',
  postalCode: '60200',
  countryCode: 'CZ',
  phone: '+420987654321',
};
export const AMSTERDAM = {
  name: 'Jan Vermeer',
  company: 'Rijksmuseum',
  street: ['Museumstraat 1', '2. Floor', 'Entrance B'],
  city: 'Amsterdam',
  postalCode: '1071 XX',
  countryCode: 'NL',
  phone: '+31 888888888',
};
export const PARIS = {
  name: 'Marie Curie',
  company: 'Boutique Rivoli',
  street: ['1 rue de Rivoli', 'Bâtiment B', 'Escalier 2'],
  city: 'Paris',
  postalCode: '75001',
  countryCode: 'FR',
  phone: '+33 1 23 45 67 89',
  email: 'marie@example.fr',
};
export const LYON = {
  name: 'Louis Pasteur',
  street: ['2 place Bellecour'],
  city: 'Lyon',
  postalCode: '69002',
  countryCode: 'FR',
};
export const BRUSSELS = {
  name: 'Paul Otlet',
  street: ['Rue de la Loi 16'],
  city: 'Bruxelles',
  postalCode: '1000',
  countryCode: 'BE',
};

// Outside the EU, for customs (DHL Parcel DE, Colissimo)
export const ZURICH = {
  name: 'Albert Einstein',
  company: 'Patentamt Zürich',
  street: ['Bahnhofstrasse 10'],
  city: 'Zürich',
  postalCode: '8001',
  countryCode: 'CH',
  phone: '+41 44 123 45 67',
};
