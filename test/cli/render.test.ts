/**
 * @module test/cli/render
 * What `carrier-gateway status ACCOUNT` prints below the row: a secret rotation under way (which
 * secret the carrier accepts, and the cue to promote the next one) and the runbook.
 */
import { describe, expect, it } from 'vitest';

import { statusDetail } from '../../src/cli/render.js';
import type { AccountHealth } from '../../src/health/health-service.js';

function health(token: Partial<AccountHealth['token']>, runbook: string | null): AccountHealth {
  return {
    runbook,
    token: {
      state: 'ok',
      expiresInSeconds: 100,
      lastRefresh: null,
      refreshLatencyMs: { p50: null, p95: null },
      refreshesLastHour: 0,
      tokenRequests: null,
      ...token,
    },
  } as AccountHealth;
}

describe('status detail', () => {
  it('tells the operator to promote a next secret the carrier accepts', () => {
    const text = statusDetail(
      health(
        { secretRotation: { inUse: 'next', next: 'accepted', nextLastTriedAt: '2026-11-24T01:00:00.000Z' } },
        null,
      ),
    );
    expect(text).toContain('promote it to clientSecret and reload');
  });

  it('says the current secret is in use while the carrier rejects the next one, with the runbook', () => {
    const text = statusDetail(
      health(
        {
          secretRotation: { inUse: 'current', next: 'rejected', nextLastTriedAt: '2026-11-24T01:00:00.000Z' },
        },
        'docs/runbooks/invalid-client.md',
      ),
    );
    expect(text).toContain(
      'next secret rejected (last tried 2026-11-24T01:00:00.000Z); the current secret is in use',
    );
    expect(text).toContain('runbook: docs/runbooks/invalid-client.md');
  });

  it('adds nothing when no rotation is under way and nothing fails', () => {
    expect(statusDetail(health({}, null))).toBe('');
  });
});
