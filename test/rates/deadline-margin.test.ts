/**
 * @module test/rates/deadline-margin.test
 * How far before its deadline a rates answer is aimed (`deadlineMargin`): the fixed 20 ms (5 % of
 * a short deadline) on an idle process, plus how late recent deadline timers fired (their 90th
 * percentile, so one stall does not move it), never more than a tenth of the deadline.
 */
import { describe, expect, it } from 'vitest';

import { DEADLINE_MARGIN_MS, deadlineMargin } from '../../src/rates/rates-service.js';

describe('deadlineMargin', () => {
  it('is the fixed margin while timers fire on time, 5 % of a short deadline', () => {
    expect(deadlineMargin(2_000, [])).toBe(DEADLINE_MARGIN_MS);
    expect(deadlineMargin(2_000, [0, 0.4, 1])).toBe(DEADLINE_MARGIN_MS + 1);
    expect(deadlineMargin(200, [])).toBe(10);
  });

  it('grows by how late recent timers fired, the 90th percentile of them', () => {
    const late = [...Array.from({ length: 18 }, () => 5), 60, 400];
    // 20 samples: the 90th percentile is the 19th smallest, 60 ms; the single 400 ms stall is ignored.
    expect(deadlineMargin(2_000, late)).toBe(DEADLINE_MARGIN_MS + 60);
  });

  it('never takes more than a tenth of the deadline', () => {
    expect(deadlineMargin(1_000, [500, 500, 500])).toBe(100);
  });
});
