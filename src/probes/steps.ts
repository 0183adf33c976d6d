/**
 * @module probes/steps
 * The steps of one probe run, each timed: `token`, `validation`, `jwt` (src/probes/token.ts
 * for the three token modes), `introspect` for accounts with an RFC 7662 introspection endpoint
 * (src/probes/introspect.ts), then `call` (src/probes/call.ts), stopping at the first
 * that fails. The call's failures are classified from the carrier's answer; a shared token the
 * carrier rejects, or its authorization server reports inactive, is dropped fleet-wide (and the
 * call retried once with the next, as the proxy does); the API host's certificate comes from the
 * call's connection, or a bare handshake when it had none.
 */
import { performance } from 'node:perf_hooks';

import type { Agent } from 'undici';

import type { ConfiguredAccount, ResolvedAccount } from '../core/account.js';
import { checkJwt } from '../auth/jwt-checks.js';
import { acceptTokenAnswer, jwtExpectations } from '../auth/token-client.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { StoredToken } from '../auth/token-store.js';
import { isGatewayError } from '../core/errors.js';
import type { ProbeStep } from '../health/health-service.js';
import { parseJson } from '../core/json.js';
import type { ApiResult, CarrierApi } from '../upstream/carrier-api.js';
import { dispatcherTrusting, transportError } from '../upstream/transport.js';
import { classifyProbeAnswer, probeCall, ProbeStepError, type SentToken } from './call.js';
import { introspectToken } from './introspect.js';
import { certificateInfo, readCertificate, type CertificateInfo, type ProbeCa } from '../upstream/tls.js';
import {
  jwtApplies,
  requestFreshToken,
  tokenMode,
  validateStaticCredential,
  validateStoredToken,
} from './token.js';
import { classifyError } from '../core/failures.js';
import { type FailureClass } from '../core/failure-classes.js';

export type StepName = 'token' | 'validation' | 'jwt' | 'introspect' | 'call';

/** A step failed; the steps after it do not run. */
class StepFailed extends Error {
  constructor(
    readonly step: StepName,
    readonly failureClass: FailureClass,
  ) {
    super(`${step} failed: ${failureClass}`);
  }
}

/** The credential the call step sends. */
interface Credential {
  value: string;
  /** Token accounts: issue and expiry, for telling premature expiry from expiry. */
  sent?: SentToken;
  /** Issued for this probe, never stored. */
  fresh: boolean;
  /** The shared token: dropped fleet-wide when the carrier rejects it, as the proxy does. */
  shared: boolean;
  /** The freshly issued token itself, sent instead of the engine's. */
  issued?: StoredToken;
}

/** How a probe's steps ended. */
export interface Outcome {
  ok: boolean;
  failureClass?: FailureClass;
  failedStep?: StepName;
  freshRejection?: boolean;
  certificate?: CertificateInfo;
  /** A token was issued for this probe, alive until then (epoch ms). */
  freshUntil?: number;
}

export interface RunOptions {
  /** The shared token even where a fresh issuance is the carrier's mode (one is still alive). */
  shared?: boolean;
}

/** A failure as a probe shows it: its class, and a detail with codes only (never a carrier message). */
export function describeFailure(error: unknown): { failureClass: FailureClass; detail: string } {
  if (error instanceof ProbeStepError) return { failureClass: error.failureClass, detail: error.detail };
  if (isGatewayError(error)) {
    const carrier =
      error.carrierCode !== undefined && !(error.detail ?? '').includes(error.carrierCode)
        ? `carrier code ${error.carrierCode}`
        : undefined;
    const detail = [error.code, error.detail, carrier].filter(Boolean).join(': ');
    return { failureClass: classifyError(error.code, error.detail), detail };
  }
  // Not a classified failure: its message is not ours to show.
  return {
    failureClass: 'gateway.internal',
    detail: `unexpected ${(error as Error | null)?.name ?? 'error'}`,
  };
}

const elapsed = (started: number) => Math.round(performance.now() - started);

export interface ProbeStepsOptions {
  engine: TokenEngine;
  /** The one path to carrier APIs (src/upstream/carrier-api.ts). */
  api: CarrierApi;
  now: () => number;
  ca?: ProbeCa;
}

export class ProbeSteps {
  /** Only with `ca`: the fresh issuance's connections trust it too (the call has its own). */
  #dispatcher: Agent | undefined;
  readonly #now: () => number;

  constructor(private readonly options: ProbeStepsOptions) {
    this.#now = options.now;
  }

  /** Runs the steps in order into `steps`; never throws. */
  async run(account: ConfiguredAccount, steps: ProbeStep[], options: RunOptions = {}): Promise<Outcome> {
    try {
      return await this.#runSteps(account, steps, options);
    } catch (error) {
      // Every step classifies its own failures; this is a bug's safety net.
      return { ok: false, failureClass: describeFailure(error).failureClass };
    }
  }

  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.close();
  }

  async #step<T>(steps: ProbeStep[], name: StepName, run: () => Promise<[T, string]>): Promise<T> {
    const started = performance.now();
    try {
      const [value, detail] = await run();
      steps.push({ name, ok: true, ms: elapsed(started), detail });
      return value;
    } catch (error) {
      const { failureClass, detail } = describeFailure(error);
      steps.push({ name, ok: false, ms: elapsed(started), failureClass, detail });
      throw new StepFailed(name, failureClass);
    }
  }

  async #runSteps(account: ConfiguredAccount, steps: ProbeStep[], options: RunOptions): Promise<Outcome> {
    let credential: Credential;
    // A token issued for this probe and accepted: the prober issues none again while it lives.
    let fresh: { freshUntil?: number } = {};
    try {
      credential = await this.#tokenSteps(account, steps, options);
      if (credential.fresh && credential.sent !== undefined)
        fresh = { freshUntil: credential.sent.expiresAt };
      if (account.kind === 'oauth' && account.token.introspectionUrl !== undefined)
        await this.#introspectStep(account, credential, steps);
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      const certificate = await this.#certificateAside(account);
      return {
        ok: false,
        failureClass: error.failureClass,
        failedStep: error.step,
        ...(certificate ? { certificate } : {}),
        ...fresh,
      };
    }
    return { ...(await this.#callStep(account, credential, steps)), ...fresh };
  }

  async #tokenSteps(
    account: ConfiguredAccount,
    steps: ProbeStep[],
    options: RunOptions,
  ): Promise<Credential> {
    const { engine } = this.options;
    const mode = options.shared === true && account.kind !== 'static' ? 'shared' : tokenMode(account);
    if (account.kind === 'static') {
      const value = await this.#step(steps, 'token', async () => [
        (await engine.manager(account.id).getToken()).accessToken,
        'static credential',
      ]);
      await this.#step(steps, 'validation', async () => [null, validateStaticCredential(value)]);
      steps.push({ name: 'jwt', ok: true, ms: 0, detail: 'skipped: static credential' });
      return { value, fresh: false, shared: false };
    }
    if (mode === 'fresh') {
      const answer = await this.#step(steps, 'token', async () => [
        await requestFreshToken(account, engine.store, {
          now: this.#now,
          ...this.#tokenDispatcher(),
          clientSecret:
            engine.tokenManager(account.id)?.clientSecretInUse() ?? account.credentials.clientSecret,
        }),
        'fresh issuance (not stored)',
      ]);
      const accepted = await this.#step(steps, 'validation', async () => {
        const token = acceptTokenAnswer(account, 'initial', answer);
        return [token, `expires in ${Math.round((token.token.expiresAt - this.#now()) / 1000)} s`];
      });
      const expect = jwtExpectations(account, answer.body);
      await this.#jwtStep(
        steps,
        account.id,
        accepted.token.accessToken,
        expect,
        (nowMs) => nowMs + (accepted.skewMs ?? 0),
      );
      return {
        value: accepted.token.accessToken,
        sent: accepted.token,
        fresh: true,
        shared: false,
        issued: { ...accepted.token, generation: 0 },
      };
    }
    const token = await this.#step(steps, 'token', async () => {
      const manager = engine.tokenManager(account.id);
      if (manager === undefined) throw new Error('no token manager');
      const current = manager.peek() ?? (await manager.getToken());
      return [current, `shared token (generation ${current.generation})`];
    });
    await this.#step(steps, 'validation', async () => [null, validateStoredToken(token, this.#now())]);
    await this.#jwtStep(steps, account.id, token.accessToken, account.jwt, (nowMs) => nowMs);
    return { value: token.accessToken, sent: token, fresh: false, shared: true };
  }

  async #jwtStep(
    steps: ProbeStep[],
    account: string,
    token: string,
    expect: Parameters<typeof checkJwt>[2],
    carrierTime: (nowMs: number) => number,
  ): Promise<void> {
    if (!jwtApplies(token, expect)) {
      steps.push({ name: 'jwt', ok: true, ms: 0, detail: 'skipped: opaque token and no key configured' });
      return;
    }
    const keyed = expect.jwksUrl !== undefined || expect.publicKey !== undefined;
    await this.#step(steps, 'jwt', async () => {
      await checkJwt(account, token, expect, carrierTime(this.#now()));
      return [null, keyed ? 'signature and claims' : 'claims (no key to verify the signature)'];
    });
  }

  /** A dispatcher trusting `ca` for the token-endpoint side (issuance, introspection), when one is given. */
  #tokenDispatcher(): { dispatcher?: Agent } {
    if (this.options.ca === undefined) return {};
    return { dispatcher: (this.#dispatcher ??= dispatcherTrusting(this.options.ca)) };
  }

  /**
   * The token the data path uses: the shared one (this instance's, or the fleet's in the store)
   * where there is one, since a fresh issuance postdates any revocation; the probe's own otherwise.
   */
  async #introspectionTarget(
    account: ResolvedAccount,
    credential: Credential,
  ): Promise<{ value: string; expiresAt: number; shared: boolean; label: string }> {
    const own = {
      value: credential.value,
      expiresAt: credential.sent?.expiresAt ?? Number.POSITIVE_INFINITY,
      shared: credential.shared,
      label: credential.shared ? 'the shared token' : "the probe's own token",
    };
    if (!credential.fresh) return own;
    const held =
      this.options.engine.tokenManager(account.id)?.peek() ??
      (await this.options.engine.store.read(account.id).catch(() => null));
    if (held === null || held === undefined || held.expiresAt <= this.#now()) return own;
    return {
      value: held.accessToken,
      expiresAt: held.expiresAt,
      shared: true,
      label: `the shared token (generation ${held.generation})`,
    };
  }

  /**
   * RFC 7662: is the token in use still active at its authorization server? `active: false` for
   * a token our clock holds valid is a revocation (2.2 gives no reason, and a server "SHOULD NOT"
   * say why, so an early expiry at the carrier reads the same way); a shared token is then dropped
   * fleet-wide, as a rejected one is, so the engine fetches the next.
   */
  async #introspectStep(account: ResolvedAccount, credential: Credential, steps: ProbeStep[]): Promise<void> {
    await this.#step(steps, 'introspect', async () => {
      const target = await this.#introspectionTarget(account, credential);
      let answer;
      try {
        answer = await introspectToken(account, target.value, { now: this.#now, ...this.#tokenDispatcher() });
      } catch (error) {
        const { failureClass, detail } = describeFailure(error);
        throw new ProbeStepError(failureClass, `introspection endpoint: ${detail}`);
      }
      if (answer.active) {
        const exp =
          answer.exp === undefined ? '' : `, exp in ${Math.round(answer.exp - this.#now() / 1000)} s`;
        return [null, `${target.label} is active${exp}`];
      }
      const leftMs = target.expiresAt - this.#now();
      let note = '';
      if (target.shared) {
        const manager = this.options.engine.manager(account.id);
        // Hold the fleet's token first, so the drop below is of the token this instance serves.
        await manager.getToken().catch(() => undefined);
        const next = await manager.invalidate(target.value).then(
          (token) => ({ token }),
          (error: unknown) => ({ error }),
        );
        note =
          'error' in next
            ? `; dropped, and the refresh after it failed (${describeFailure(next.error).detail})`
            : '; dropped fleet-wide, the engine fetched the next';
      }
      if (leftMs <= 0)
        throw new ProbeStepError(
          'authorization.expired',
          `${target.label} is inactive and past its expiry${note}`,
        );
      throw new ProbeStepError(
        'authorization.revoked',
        `${target.label} is inactive with ${Math.round(leftMs / 1000)} s left by our clock${note}`,
      );
    });
  }

  async #callStep(account: ConfiguredAccount, credential: Credential, steps: ProbeStep[]): Promise<Outcome> {
    const probe = account.descriptor.data.probe;
    if (probe === undefined) {
      steps.push({ name: 'call', ok: true, ms: 0, detail: 'skipped: no probe endpoint for this carrier' });
      return { ok: true };
    }
    let answer: ApiResult | undefined;
    let freshRejection = false;
    try {
      await this.#step(steps, 'call', async () => {
        // The one carrier path, on a connection of its own (its certificate is reported). The
        // shared token is the engine's: refused, it is dropped fleet-wide and the call repeated
        // once with the next, as every caller does. A fresh token is this probe's alone.
        answer = await this.options.api.request(account, probeCall(probe), {
          source: 'probe',
          observe: false,
          retry: { token: credential.shared, dependent: false },
          ...(credential.issued !== undefined ? { credential: credential.issued } : {}),
          freshConnection: this.options.ca !== undefined ? { ca: this.options.ca } : {},
        });
        if (answer.kind === 'not_sent' || answer.kind === 'lost') {
          const error = transportError(account.id, answer);
          throw new ProbeStepError(classifyError(error.code, error.detail), error.detail ?? 'no answer');
        }
        if (answer.kind === 'no_credential') {
          const refused = answer.refused;
          const { failureClass, detail } = describeFailure(answer.error);
          // The carrier refused the shared token and the refresh after it failed.
          if (refused !== undefined)
            throw new ProbeStepError(
              classifyProbeAnswer(
                account,
                probe,
                { status: refused.status, body: undefined },
                credential.sent,
                this.#now(),
              )?.failureClass ?? failureClass,
              `HTTP ${refused.status}; refresh after the rejection failed (${detail})`,
            );
          throw new ProbeStepError(failureClass, detail);
        }
        // A token renewed for this call and refused at once was refused, not expired.
        const sent = answer.renewed ? undefined : credential.sent;
        const verdict = classifyProbeAnswer(
          account,
          probe,
          { status: answer.status, body: parseJson(answer.body) },
          sent,
          this.#now(),
        );
        freshRejection =
          verdict !== null && answer.rejected === 'token' && (answer.renewed || credential.fresh);
        const note = answer.renewed ? '; retried once with a new shared token' : '';
        const seen = `HTTP ${answer.status}${verdict?.carrierCode ? `, carrier code ${verdict.carrierCode}` : ''}${note}`;
        if (verdict !== null) throw new ProbeStepError(verdict.failureClass, seen);
        return [null, seen];
      });
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      const certificate = await this.#certificateOf(account, answer);
      return {
        ok: false,
        failureClass: error.failureClass,
        failedStep: 'call',
        freshRejection,
        ...(certificate ? { certificate } : {}),
      };
    }
    const certificate = await this.#certificateOf(account, answer);
    return { ok: true, ...(certificate ? { certificate } : {}) };
  }

  /** The certificate the call was served; a bare handshake when the call got no TLS connection through. */
  async #certificateOf(
    account: ConfiguredAccount,
    answer: ApiResult | undefined,
  ): Promise<CertificateInfo | undefined> {
    if (answer?.kind === 'answered' && answer.certificate !== undefined)
      return certificateInfo(account.api.baseUrl.hostname, answer.certificate, this.#now()) ?? undefined;
    return this.#certificateAside(account);
  }

  async #certificateAside(account: ConfiguredAccount): Promise<CertificateInfo | undefined> {
    const url = account.api.baseUrl;
    if (url.protocol !== 'https:') return undefined;
    const certificate = await readCertificate(url, {
      timeoutMs: Math.min(account.api.timeoutMs, 5_000),
      ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
    });
    return certificate === null
      ? undefined
      : (certificateInfo(url.hostname, certificate, this.#now()) ?? undefined);
  }
}
