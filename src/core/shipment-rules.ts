/**
 * @module core/shipment-rules
 * What a carrier demands of a shipment on a lane, as data: which fields must be present or fit a
 * length (party rules), and which service code "standard" and "express" mean from one country to
 * another (lane services). Each carrier writes both tables in `carriers/<carrier>/rules.ts`, parsed
 * by the schemas here when the module loads (a bad table stops the boot), and each entry cites the
 * spec passage or fact it comes from. `checkShipment` runs them before any carrier call, so a
 * missing phone is a 422 naming the field, the rule and its source instead of the carrier's 400.
 */
import { z } from 'zod';

import { SERVICE_LEVELS, type ShipmentRequest } from './shipment.js';

/**
 * The member states of the European Union (ISO 3166-1 alpha-2): the customs union inside which no
 * carrier asks for a customs declaration (e.g. parcel-de-shipping-v2_2.yaml CustomsDetails,
 * "outside the European Customs Union").
 */
export const EU_COUNTRIES: ReadonlySet<string> = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE'.split(' '),
);

const country = z.string().regex(/^[A-Z]{2}$/);

/** A lane condition; every key given must hold (an empty condition holds everywhere). */
const conditionSchema = z.strictObject({
  /** Shipper and recipient in different countries. */
  crossBorder: z.boolean().optional(),
  /** Shipper and recipient both in the EU. */
  withinEu: z.boolean().optional(),
  from: z.array(country).min(1).optional(),
  to: z.array(country).min(1).optional(),
  notTo: z.array(country).min(1).optional(),
  service: z.enum(SERVICE_LEVELS).optional(),
});
export type LaneCondition = z.infer<typeof conditionSchema>;

/**
 * One party or customs rule. `field` is a dotted path in the shipment; `[]` walks every element of
 * an array (`customs.items[].hsCode`). `require`: `present`, or a maximum length for a text that
 * is there (an absent one is the business of a `present` rule).
 */
const ruleSchema = z.strictObject({
  field: z.string().regex(/^[a-zA-Z]+(\[\])?(\.[a-zA-Z]+(\[\])?)*$/),
  require: z.union([
    z.literal('present'),
    z.strictObject({ maxLength: z.number().int().positive() }),
    /** A value that is there must be one of these (a currency the carrier takes, say). */
    z.strictObject({ oneOf: z.array(z.string().min(1)).min(1) }),
  ]),
  when: conditionSchema.default({}),
  unless: conditionSchema.optional(),
  /** The carrier's rule in words, for the 422. */
  rule: z.string().min(1),
  /** Where the rule is written: a spec file and pointer, or a fact tag; UNVERIFIED when neither. */
  source: z.string().min(1),
});
export type ShipmentRule = z.infer<typeof ruleSchema>;

/** One line of a carrier's service table: the code a service level books on a lane, or why it cannot. */
const laneServiceSchema = z
  .strictObject({
    service: z.enum(SERVICE_LEVELS),
    when: conditionSchema.default({}),
    code: z.string().min(1).optional(),
    /** Why nothing is offered here; given exactly when `code` is not. */
    refused: z.string().min(1).optional(),
    source: z.string().min(1),
  })
  .refine((line) => (line.code === undefined) !== (line.refused === undefined), {
    message: 'a lane line has either a code or the reason it is refused',
  });
export type LaneService = z.infer<typeof laneServiceSchema>;

export const shipmentRulesSchema = z.array(ruleSchema);
export const laneServicesSchema = z.array(laneServiceSchema).min(1);

/** A carrier's two tables, parsed: throws at module load when either is malformed. */
export function carrierRules(tables: { rules: unknown; lanes: unknown }): {
  rules: ShipmentRule[];
  lanes: LaneService[];
} {
  return { rules: shipmentRulesSchema.parse(tables.rules), lanes: laneServicesSchema.parse(tables.lanes) };
}

type Lane = Pick<ShipmentRequest, 'shipper' | 'recipient' | 'service'>;

export function holds(condition: LaneCondition, shipment: Lane): boolean {
  const from = shipment.shipper.countryCode;
  const to = shipment.recipient.countryCode;
  if (condition.crossBorder !== undefined && condition.crossBorder !== (from !== to)) return false;
  if (
    condition.withinEu !== undefined &&
    condition.withinEu !== (EU_COUNTRIES.has(from) && EU_COUNTRIES.has(to))
  )
    return false;
  if (condition.from !== undefined && !condition.from.includes(from)) return false;
  if (condition.to !== undefined && !condition.to.includes(to)) return false;
  if (condition.notTo?.includes(to)) return false;
  return condition.service === undefined || condition.service === shipment.service;
}

/** The service code for a shipment, or why the carrier has none: the first line whose lane holds. */
export function resolveService(
  lanes: readonly LaneService[],
  shipment: Lane,
): { code: string } | { refused: string; source?: string } {
  const line = lanes.find(
    (candidate) => candidate.service === shipment.service && holds(candidate.when, shipment),
  );
  if (line === undefined) {
    return {
      refused: `no ${shipment.service} service from ${shipment.shipper.countryCode} to ${shipment.recipient.countryCode}`,
    };
  }
  return line.code !== undefined ? { code: line.code } : { refused: line.refused!, source: line.source };
}

/** A rule field's segments, split once: the rule tables are fixed, and every shipment reads them. */
const SEGMENTS = new Map<string, readonly string[]>();
function segmentsOf(field: string): readonly string[] {
  let segments = SEGMENTS.get(field);
  if (segments === undefined) {
    segments = field.split('.');
    SEGMENTS.set(field, segments);
  }
  return segments;
}

/** The values at a rule's path, each with its concrete path (`customs.items.1.hsCode`). */
function valuesAt(root: unknown, field: string): { path: string; value: unknown }[] {
  const segments = segmentsOf(field);
  // Most rules name one value (no `[]`): its path is the field itself, walked without arrays.
  if (!field.includes('[]')) {
    let value = root;
    for (const key of segments)
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return [{ path: field, value }];
  }
  let found: { path: string; value: unknown }[] = [{ path: '', value: root }];
  for (const segment of segments) {
    const each = segment.endsWith('[]');
    const key = each ? segment.slice(0, -2) : segment;
    found = found.flatMap(({ path, value }) => {
      const next =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      const at = path === '' ? key : `${path}.${key}`;
      if (!each) return [{ path: at, value: next }];
      // An absent array has no elements to check; its presence is a rule of its own.
      return Array.isArray(next)
        ? next.map((element, index) => ({ path: `${at}.${index}`, value: element }))
        : [];
    });
  }
  return found;
}

/** A rule a shipment breaks: the field (concrete path), the rule in words, and its source. */
export interface RuleViolation {
  field: string;
  rule: string;
  source: string;
}

/** Every rule the shipment breaks on its lane, in table order. */
export function ruleViolations(rules: readonly ShipmentRule[], shipment: ShipmentRequest): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const rule of rules) {
    if (!holds(rule.when, shipment) || (rule.unless !== undefined && holds(rule.unless, shipment))) continue;
    for (const { path, value } of valuesAt(shipment, rule.field)) {
      const require = rule.require;
      const broken =
        require === 'present'
          ? value === undefined
          : 'maxLength' in require
            ? typeof value === 'string' && value.length > require.maxLength
            : typeof value === 'string' && !require.oneOf.includes(value);
      if (broken) violations.push({ field: path, rule: rule.rule, source: rule.source });
    }
  }
  return violations;
}
