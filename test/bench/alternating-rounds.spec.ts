import { alternatingSequentialRounds } from '../../bench/support/measure.js';

describe('one-at-a-time benchmark rows measured in alternating blocks', () => {
  it('goes round the subjects in blocks, starting one further along each cycle, and times each subject by its own calls', async () => {
    const calls: string[] = [];
    const rates = await alternatingSequentialRounds(['fast', 'slow'], 2, 6, 3, async (subject) => {
      calls.push(subject);
      // The slow subject's calls wait for a 2 ms timer (more than 1 ms each even though Node's
      // timers count from a loop time that may be up to a millisecond old), the fast one's none.
      if (subject === 'slow') await new Promise((resolve) => setTimeout(resolve, 2));
    });
    const blocks = calls
      .join(',')
      .replace(/(fast,fast,fast)/g, 'F')
      .replace(/(slow,slow,slow)/g, 'S');
    // One warm-up block each, then per round two cycles: F S, then S F.
    expect(blocks).toBe('F,S,F,S,S,F,F,S,S,F');
    expect(rates.fast).toHaveLength(2);
    expect(rates.slow).toHaveLength(2);
    for (let r = 0; r < 2; r++) {
      expect(rates.slow?.[r]).toBeLessThan(1000);
      expect(rates.fast?.[r]).toBeGreaterThan(10 * (rates.slow?.[r] ?? Infinity));
    }
  });
});
