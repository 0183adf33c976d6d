/**
 * @module sim
 * Shared simulator kit: the engine, the request helpers and the token store that the carrier
 * simulators (`carriers/<carrier>/simulator.ts`) are built from.
 */
export { manualClock, type ManualClock } from './clock.js';
export { businessDaysAfter, simPrice, type SimService } from './prices.js';
export { journey, stageOf, type JourneyStep } from './journey.js';
export { faultsPatchSchema } from './control.js';
export {
  basicCredentials,
  bearerToken,
  formOf,
  header,
  isFormContentType,
  json,
  jsonOf,
  type BasicCredentials,
  type SimRequest,
  type SimResponse,
} from './http.js';
export {
  NO_CLIENT,
  startSimulator,
  type CarrierDefinition,
  type ClientCheck,
  type ReadDefinition,
  type ShippingDefinition,
  type SimContext,
} from './server.js';
export { ShipmentLedger, type LedgerShipment, type VoidResult } from './ledger.js';
export { opaqueToken, TokenStore, type AccessCheck, type AccessRecord, type TokenFamily } from './tokens.js';
export {
  defaultFaults,
  emptyStats,
  freezeFaults,
  READ_FAULT_KINDS,
  TRACKING_STAGES,
  type TrackingStage,
  SHIPMENT_FAULT_KINDS,
  type ReadFaultKind,
  type ShipmentFaultKind,
  type SimClient,
  type SimFaults,
  type SimStats,
  type SimulatorHandle,
  type SimulatorOptions,
} from './types.js';
