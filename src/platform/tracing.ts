/**
 * @module platform/tracing
 * OpenTelemetry spans through @opentelemetry/api: the token wait and the lock wait of a call, the
 * carrier call itself and each failover decision of a shipment, in the trace of the client's
 * request (its W3C `traceparent`, src/http/request-trace.ts).
 *
 * Off unless an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, the exporter's own variables): then spans are batched and
 * exported over OTLP/HTTP. While off, `startSpan` returns undefined before touching the API, so
 * the pass-through's hot path pays one boolean test; the context manager (AsyncLocalStorage, which
 * costs every promise on Node 20) is installed only when tracing is on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import {
  context,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type ContextManager,
  type Span,
} from '@opentelemetry/api';

import type { Logger } from './log.js';

/** The client request a span belongs to (what src/http/request-trace.ts carries). */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

let enabled = false;
const tracer = trace.getTracer('carrier-gateway');

export function tracingEnabled(): boolean {
  return enabled;
}

/** A span under `parent` (or the active one), or undefined when tracing is off. */
export function startSpan(name: string, attributes: Attributes, parent?: TraceParent): Span | undefined {
  if (!enabled) return undefined;
  const ctx: Context =
    parent !== undefined
      ? trace.setSpanContext(context.active(), {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
        })
      : context.active();
  return tracer.startSpan(name, { attributes }, ctx);
}

/** Ends a span, marking it failed with the error's stable code when there is one. */
export function endSpan(span: Span | undefined, error?: unknown, attributes?: Attributes): void {
  if (span === undefined) return;
  if (attributes !== undefined) span.setAttributes(attributes);
  if (error !== undefined) {
    const code = (error as { code?: unknown })?.code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'error' });
  }
  span.end();
}

/** Runs `work` inside a span (nested spans become its children); just `work` when tracing is off. */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  parent: TraceParent | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const span = startSpan(name, attributes, parent);
  if (span === undefined) return work();
  try {
    const result = await context.with(trace.setSpan(context.active(), span), work);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/** A decision taken at one instant (a failover), recorded as a zero-length span. */
export function recordDecision(name: string, attributes: Attributes, parent?: TraceParent): void {
  endSpan(startSpan(name, attributes, parent));
}

/** The `traceparent` for a call made under `span`, else under the request's own span. */
export function traceparentFor(span: Span | undefined, parent: TraceParent): string {
  const spanId = span !== undefined ? span.spanContext().spanId : parent.spanId;
  return `00-${parent.traceId}-${spanId}-${parent.sampled ? '01' : '00'}`;
}

/** @opentelemetry/api's context on AsyncLocalStorage (the context-async-hooks package, in brief). */
class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const storage = this.#storage;
    return function bound(this: unknown, ...args: unknown[]) {
      return storage.run(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

export interface Tracing {
  /** Exports what is still batched, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Turns tracing on when the environment names an OTLP endpoint; undefined otherwise. The SDK is
 * imported only then, so a gateway without tracing never loads it.
 */
export async function startTracing(
  env: NodeJS.ProcessEnv,
  log: Logger,
  serviceName = 'carrier-gateway',
): Promise<Tracing | undefined> {
  // OTLP/HTTP: the traces endpoint as given, or the base endpoint + /v1/traces (OTLP exporter spec).
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || serviceName }),
    // The exporter reads its headers and timeout from the process's OTEL_* variables.
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: endpoint }) })],
  });
  context.setGlobalContextManager(new AsyncContextManager());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  log.info({ endpoint }, 'tracing: spans exported over OTLP/HTTP');
  return {
    shutdown: async () => {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
