import { alternatingSequentialRounds } from '../../bench/support/measure.js';

describe('one-at-a-time benchmark rows measured in alternating blocks', () => {
  it('goes round the subjects in blocks, starting one further along each cycle, and times each subject by its own calls', async () => {
    const calls: string[] = [];
    const rates = await alternatingSequentialRounds(['fast', 'slow'], 2, 30, 3, async (subject) => {
      calls.push(subject);
      // The slow subject's calls wait for a 10 ms timer (at least 9 ms each even though Node's
      // timers count from a loop time that may be up to a millisecond old), the fast one's none:
      // a pause of the whole process (a collection, a busy machine) of up to 30 ms within a
      // round still leaves the fast subject over ten times faster.
      if (subject === 'slow') await new Promise((resolve) => setTimeout(resolve, 10));
    });
    const blocks = calls
      .join(',')
      .replace(/(fast,fast,fast)/g, 'F')
      .replace(/(slow,slow,slow)/g, 'S');
    // One warm-up block each, then per round ten cycles: F S, then S F, and so on.
    const round = Array.from({ length: 10 }, (_, c) => (c % 2 === 0 ? 'F,S' : 'S,F')).join(',');
    expect(blocks).toBe(`F,S,${round},${round}`);
    expect(rates.fast).toHaveLength(2);
    expect(rates.slow).toHaveLength(2);
    for (let r = 0; r < 2; r++) {
      expect(rates.slow?.[r]).toBeLessThan(120);
      expect(rates.fast?.[r]).toBeGreaterThan(10 * (rates.slow?.[r] ?? Infinity));
    }
  });
});
