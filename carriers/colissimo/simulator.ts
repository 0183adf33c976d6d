/**
 * @module carriers/colissimo/simulator
 * Loopback simulator of the Colissimo SLS label web service (ws.colissimo.fr,
 * `/sls-ws/SlsServiceWSRest/2.0`): `POST generateLabel` and `POST checkGenerateLabel` behind the
 * `apiKey` request header, written from `shared/carrier-specs/laposte/colissimo-shipping-openapi.json`
 * [COL-SPEC] and `carrier-auth-facts.md` §4b. Answers that no source pins down are marked
 * UNVERIFIED; a public integration's recorded answers ([COL-CODE]: karrio
 * `modules/connectors/colissimo/tests/colissimo/test_shipment.py`) fill in message ids and texts.
 *
 * The 200 of generateLabel is `multipart/mixed`, as the real service answers: a `jsonInfos`
 * JSON part (GenerateLabelV2Response without the label) and the label bytes as a separate `label`
 * part, plus a `cn23` part when the request asks for its customs declaration ([COL-SPEC]
 * generateLabel description, "MultipartBody"; the karrio recording is multipart too). The label is
 * drawn in the requested `outputPrintingType` (PDF with binary bytes, or ZPL at 203 or 300 dpi).
 * The spec's `responses.200` declares `application/json` GenerateLabelV2Response instead, with the
 * label as a Java DataHandler object: that contradiction is in docs/carriers/unverified.md, and
 * the adapter reads both. Errors and checkGenerateLabel stay one JSON body ([COL-CODE] a recorded
 * plain-JSON 400). Every label made is counted in the kit's `labelsCreated`; the kit's shipment
 * faults answer in the same `messages` shape.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { StaticKeys } from '../laposte/simulator.js';
import {
  defaultFaults,
  freezeFaults,
  header,
  json,
  jsonOf,
  startSimulator,
  type CarrierDefinition,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
} from '../../src/sim/index.js';

/** [COL-SPEC] paths under the REST base; public host and base per facts §4b ([COL-CODE]). */
export const COLISSIMO_BASE = '/sls-ws/SlsServiceWSRest/2.0';
export const COLISSIMO_PATHS = {
  generateLabel: `${COLISSIMO_BASE}/generateLabel`,
  checkGenerateLabel: `${COLISSIMO_BASE}/checkGenerateLabel`,
} as const;

/** No tokens are issued (facts §4b.1); the lifetime only fills the kit's fault defaults. */
export const COLISSIMO_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(defaultFaults(0));

interface Message {
  id: string;
  type: 'ERROR' | 'INFOS';
  messageContent: string;
}

/**
 * Every answer carries the spec's `messages` list of MessageRest {id, type, messageContent}
 * ([COL-SPEC] GenerateLabelV2Response). The spec declares 400, 403 and 422 without bodies, so
 * that error answers use this shape is UNVERIFIED (the karrio recording has errors in it).
 */
function answer(status: number, messages: Message[], label: Record<string, unknown> | null = null) {
  return json(status, { messages, labelXmlV2Reponse: null, labelV2Response: label });
}
const error = (status: number, id: string, messageContent: string) =>
  answer(status, [{ id, type: 'ERROR', messageContent }]);

/**
 * [COL-SPEC] 403 "Token KO or Unauthorized access (sid non-existent or customer account inactive
 * or customer terminated)". Id and text are those the karrio recording shows for wrong
 * credentials; that a wrong apiKey gets the same is UNVERIFIED.
 */
const forbidden = () => error(403, '30000', 'Identifiant ou mot de passe incorrect');
/** [COL-SPEC] 422 "The JSON input to the service is badly formatted"; id synthetic (UNVERIFIED). */
const badJson = () => error(422, 'SIM422', 'Le JSON en entrée du service est mal formaté');
/** [COL-SPEC] 400 "Functional error"; Colissimo's own ids per field are UNVERIFIED, so one synthetic id. */
const functional = (what: string) => error(400, 'SIM400', what);
/** Unknown operation: status and body UNVERIFIED. */
const notFound = () => error(404, 'SIM404', 'Ressource inconnue');
/** [COL-CODE] the success message of the karrio recording. */
const SUCCESS: Message = { id: '0', type: 'INFOS', messageContent: 'La requête a été traitée avec succès' };

/**
 * Smallest one-page blank PDF, 10×15 cm (283×425 pt): stands in for the label bytes. Its second
 * line is the binary comment real PDFs carry (bytes above 0x7F), so a client that decodes the
 * answer as text loses bytes and must notice.
 */
const LABEL_PDF = Buffer.from(
  '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
    '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 283 425]>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

/**
 * A minimal ZPL II label, 10×15 cm at the requested resolution: stands in for a thermal label
 * (content synthetic). DPL and the other printer languages are answered with the PDF.
 */
function zplLabel(outputPrintingType: string, parcel: string): string {
  const dpmm = outputPrintingType.includes('300dpi') ? 12 : 8; // 300 and 203 dpi in dots per mm
  const dot = (mm: number) => Math.round(mm * dpmm);
  return (
    `^XA^PW${dot(100)}^LL${dot(150)}` +
    `^FO${dot(5)},${dot(5)}^A0N,${dot(6)},${dot(6)}^FDCOLISSIMO SIMULATED LABEL^FS` +
    `^FO${dot(5)},${dot(25)}^BCN,${dot(25)},Y,N,N^FD${parcel}^FS^XZ\n`
  );
}

/** The label in the asked `outputPrintingType` ([COL-SPEC] OutputFormat), as bytes. */
function labelFor(body: Json, parcel: string): Buffer {
  const type = objectAt(body, 'outputFormat')?.['outputPrintingType'];
  return typeof type === 'string' && type.startsWith('ZPL_')
    ? Buffer.from(zplLabel(type, parcel))
    : LABEL_PDF;
}

/**
 * [COL-SPEC] generateLabel: "Ce service retourne une Map contenant un objet json et 0 à 3
 * tableaux d'octets. La Map retournée est un objet MultipartBody. L'objet json est sauvegardé avec
 * la clé "jsonInfos" [...] Les trois tableaux d'octets sont chacun sauvegardé avec les clés :
 * proforma, label et cn23, et sont de type application/octet-stream"; its CXF client example
 * accepts `multipart/mixed`. Part headers and the `uuid:` boundary follow the karrio recording
 * ([COL-CODE]); the top-level Content-Type parameters are UNVERIFIED.
 */
function multipart(parts: { id: string; type: string; bytes: Buffer }[]): SimResponse {
  const boundary = `uuid:${randomUUID()}`;
  const chunks = parts.flatMap(({ id, type, bytes }) => [
    Buffer.from(
      `--${boundary}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: binary\r\n` +
        `Content-ID: <${id}>\r\n\r\n`,
      'latin1',
    ),
    bytes,
    Buffer.from('\r\n', 'latin1'),
  ]);
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return {
    status: 200,
    headers: { 'Content-Type': `multipart/mixed; boundary="${boundary}"; start="<jsonInfos>"` },
    body: Buffer.concat(chunks),
  };
}

/** The request asks for the CN23 ([COL-SPEC] CustomsDeclarations.includeCustomsDeclarations). */
const wantsCn23 = (body: Json) =>
  objectAt(objectAt(body, 'letter'), 'customsDeclarations')?.['includeCustomsDeclarations'] === true;

/** 2 characters + 11 digits, the shape of the karrio recording's `6A15984040331` ([COL-CODE]). */
function parcelNumber(): string {
  return `6A${Array.from(randomBytes(11), (b) => String(b % 10)).join('')}`;
}

type Json = Record<string, unknown>;
const objectAt = (value: unknown, key: string): Json | undefined => {
  const inner = (value as Json | undefined)?.[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Json) : undefined;
};
const isText = (value: unknown) => typeof value === 'string' && value.trim() !== '';

/**
 * The request schema's hard requirements only ([COL-SPEC] GenerateLabelRequestV31 and
 * CheckGenerateLabelRequest: letter, and outputFormat for generateLabel; OutputFormat x, y,
 * outputPrintingType; Service productCode, depositDate; Parcel weight, "Minimum: 0.01kg, Maximum:
 * 30.00 kg"; Addressee address; Address countryCode "ISO country code on 2 letters", zipCode).
 */
/** [COL-SPEC] Service.productCode: the products the spec names (DOM, DOS home delivery) and karrio's others ([KAR-COL]). */
const PRODUCT_CODES = new Set([
  'DOM',
  'DOS',
  'COLD',
  'COL',
  'A2P',
  'BPR',
  'CMT',
  'BDP',
  'CDS',
  'COLR',
  'J+1',
  'CORE',
  'CORI',
  'COLI',
  'ACCI',
  'DOMR',
]);
const parisToday = (nowMs: number) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Paris',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(nowMs);

/**
 * Service.depositDate: a plain date (the spec's example, karrio's fixture) or a date-time (the
 * schema's format), "Scheduled deposit date", not before today in France (facts: no deposit in the past).
 */
function depositProblem(value: unknown, nowMs: number): string | null {
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) ||
    Number.isNaN(Date.parse(value))
  )
    return 'letter.service.depositDate: date invalide (AAAA-MM-JJ)';
  return value.slice(0, 10) < parisToday(nowMs)
    ? 'letter.service.depositDate: la date de dépôt est passée'
    : null;
}

/** [COL-SPEC] Address: lastName "Mandatory ... unless zipcode is a cedex code"; line2 "must contain at least one character". */
function addressProblem(address: Json | undefined, role: string): string | null {
  if (!address) return `letter.${role}.address est obligatoire`;
  const cedex = typeof address['zipCode'] === 'string' && /cedex/i.test(String(address['city'] ?? ''));
  if (!cedex && !isText(address['lastName']) && !isText(address['companyName']))
    return `letter.${role}.address.lastName est obligatoire`;
  if (!isText(address['line2'])) return `letter.${role}.address.line2 est obligatoire`;
  return null;
}

function problem(body: Json, needsOutputFormat: boolean, nowMs: number): string | null {
  const output = objectAt(body, 'outputFormat');
  if (needsOutputFormat && !output) return 'outputFormat est obligatoire';
  if (
    output &&
    (!Number.isInteger(output['x']) ||
      !Number.isInteger(output['y']) ||
      !isText(output['outputPrintingType']))
  )
    return 'outputFormat: x, y et outputPrintingType sont obligatoires';
  const letter = objectAt(body, 'letter');
  if (!letter) return 'letter est obligatoire';
  const service = objectAt(letter, 'service');
  if (!isText(service?.['productCode']) || !isText(service?.['depositDate']))
    return 'letter.service: productCode et depositDate sont obligatoires';
  if (!PRODUCT_CODES.has(String(service!['productCode'])))
    return 'letter.service.productCode: produit inconnu';
  const deposit = depositProblem(service!['depositDate'], nowMs);
  if (deposit !== null) return deposit;
  const weight = objectAt(letter, 'parcel')?.['weight'];
  if (typeof weight !== 'number' || weight < 0.01 || weight > 30)
    return 'letter.parcel.weight doit être entre 0.01 et 30 kg';
  const address = objectAt(objectAt(letter, 'addressee'), 'address');
  if (
    typeof address?.['countryCode'] !== 'string' ||
    !/^[A-Z]{2}$/.test(address['countryCode']) ||
    !isText(address['zipCode'])
  )
    return 'letter.addressee.address: countryCode (2 lettres) et zipCode sont obligatoires';
  return (
    addressProblem(address, 'addressee') ??
    addressProblem(objectAt(objectAt(letter, 'sender'), 'address'), 'sender')
  );
}

/**
 * Start a Colissimo simulator on loopback. A client's `clientSecret` is its apiKey; the deprecated
 * body credentials (contractNumber + password, "Deprecated. Use apikey instead", [COL-SPEC]) are
 * its clientId and clientSecret.
 * @example
 * const colissimo = await startColissimoSimulator({ clients: [{ clientId: '123456', clientSecret: 'api-key' }] });
 * // POST `${colissimo.url}/sls-ws/SlsServiceWSRest/2.0/generateLabel` with apiKey: api-key and a JSON label request
 */
export async function startColissimoSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const keys = new StaticKeys(options.clients);

  function authorised(req: SimRequest, body: Json | undefined, ctx: SimContext): boolean {
    const apiKey = header(req, 'apikey');
    if (apiKey !== undefined) return keys.clientOf(apiKey) !== undefined;
    const contract = body?.['contractNumber'];
    const password = body?.['password'];
    return (
      typeof contract === 'string' &&
      typeof password === 'string' &&
      ctx.checkClient(contract, password) === 'ok'
    );
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse {
    const generate = req.path === COLISSIMO_PATHS.generateLabel;
    if (req.method !== 'POST' || (!generate && req.path !== COLISSIMO_PATHS.checkGenerateLabel))
      return notFound();
    // A wrong apiKey is refused before the body is read; without one, the body's deprecated
    // credentials decide. Which check the real service runs first is UNVERIFIED.
    const apiKey = header(req, 'apikey');
    if (apiKey !== undefined && !authorised(req, undefined, ctx)) return forbidden();
    const parsed = jsonOf(req);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return badJson();
    const body = parsed as Json;
    if (apiKey === undefined && !authorised(req, body, ctx)) return forbidden();
    const why = problem(body, generate, ctx.now());
    if (why !== null) return functional(why);
    // checkGenerateLabel: "Data control without label generation" ([COL-SPEC]); its success body
    // is declared as GenerateLabelV2Response, so labelV2Response is null here (UNVERIFIED).
    if (!generate) return answer(200, [SUCCESS]);
    const parcel = parcelNumber();
    ctx.recordLabels();
    // jsonInfos: GenerateLabelV2Response with the parcel number; the documents are parts of their own.
    const infos = { messages: [SUCCESS], labelV2Response: { parcelNumber: parcel } };
    return multipart([
      { id: 'jsonInfos', type: 'application/json;charset=UTF-8', bytes: Buffer.from(JSON.stringify(infos)) },
      { id: 'label', type: 'application/octet-stream', bytes: labelFor(body, parcel) },
      ...(wantsCn23(body) ? [{ id: 'cn23', type: 'application/octet-stream', bytes: LABEL_PDF }] : []),
    ]);
  }

  const definition: CarrierDefinition = {
    defaults: COLISSIMO_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: null, // no token endpoint (facts §4b.4)
    // Nothing is a token path, so the kit's token faults never fire; outages, API latency and
    // the skewed Date header apply.
    isTokenPath: () => false,
    isApiPath: (path) => path.startsWith('/sls-ws/'),
    clientIdOf: () => undefined,
    // Required by the kit, unreachable without a token path. No published SLS rate limit ([LP-RL-EV]).
    throttled: () => error(429, 'SIM429', 'Trop de requêtes'),
    serverError: (_req, status) => error(status, 'SIM500', 'Erreur technique'),
    errorInSuccessBody: () =>
      answer(200, [{ id: '30000', type: 'ERROR', messageContent: 'Identifiant ou mot de passe incorrect' }]),
    handle: route,
    // Shipment faults on generateLabel, in the messages shape of every other answer here.
    shipping: {
      isShipmentRequest: (req) => req.method === 'POST' && req.path === COLISSIMO_PATHS.generateLabel,
      // [COL-SPEC] 400 "Functional error"; Colissimo's id for a bad address is UNVERIFIED.
      validationError: () => functional("L'adresse du destinataire est incomplète ou invalide"),
      // [COL-SPEC] 403 "Unauthorized access (... customer account inactive ...)"; id 30000 as above.
      forbidden: () => forbidden(),
      // [COL-SPEC] 500 "Technical error or server error"; body UNVERIFIED.
      serverError: () => error(500, 'SIM500', 'Erreur technique'),
    },
  };

  const sim = await startSimulator(definition, options);
  keys.follow(sim);
  return sim;
}

/**
 * The smallest label request GenerateLabelRequestV31 accepts, with a sender (a full date-time for
 * depositDate: the spec's own date-only example fails its date-time format). For tests and the demo.
 */
export function colissimoExampleLabelRequest(weightKg = 0.8) {
  return {
    outputFormat: { x: 0, y: 0, outputPrintingType: 'PDF_10x15_300dpi' },
    letter: {
      service: { productCode: 'DOM', depositDate: '2099-06-02T00:00:00.000Z' },
      parcel: { weight: weightKg },
      sender: {
        address: {
          companyName: 'Boutique',
          line2: '1 rue de Rivoli',
          countryCode: 'FR',
          city: 'Paris',
          zipCode: '75001',
        },
      },
      addressee: {
        address: {
          lastName: 'Martin',
          line2: '2 place Bellecour',
          countryCode: 'FR',
          city: 'Lyon',
          zipCode: '69002',
        },
      },
    },
  };
}
