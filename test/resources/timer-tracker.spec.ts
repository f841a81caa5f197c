import { trackTimers } from '../support/timer-tracker.js';

/** A timer that re-arms itself from its own callback, like a store's periodic sweep. */
function startSelfRearmingTimer(delayMs: number): { stop(): void } {
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    timer = setTimeout(arm, delayMs);
  };
  arm();
  return { stop: () => clearTimeout(timer) };
}

const waitMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the timer tracker the resource tests rely on', () => {
  const thisFile = 'timer-tracker.spec';

  it('reports a re-arming timer started while tracking and left running', async () => {
    const timers = trackTimers([thisFile]);
    const leaked = startSelfRearmingTimer(5);
    await waitMs(30);
    const pending = await timers.pending();
    timers.stop();
    leaked.stop();
    expect(pending).toHaveLength(1);
  });

  it('reports nothing once the timers started while tracking are cleared', async () => {
    const timers = trackTimers([thisFile]);
    const stopped = startSelfRearmingTimer(5);
    await waitMs(30);
    stopped.stop();
    const pending = await timers.pending();
    timers.stop();
    expect(pending).toEqual([]);
  });

  it('leaves out a re-arming timer an earlier test left running', async () => {
    const earlier = startSelfRearmingTimer(5);
    const timers = trackTimers([thisFile]);
    await waitMs(30);
    const pending = await timers.pending();
    timers.stop();
    earlier.stop();
    expect(pending).toEqual([]);
  });

  it('leaves out timers set by code outside the tracked sources', async () => {
    const timers = trackTimers(['/no-such-source/']);
    const other = startSelfRearmingTimer(5);
    const pending = await timers.pending();
    timers.stop();
    other.stop();
    expect(pending).toEqual([]);
  });
});
