import { describe, expect, it } from '@jest/globals';
import { GraceBackoff } from '../../lib/cache/grace-backoff.js';
import { HeldValues, MAX_SIZE_VISITS, sizeOf } from '../../lib/cache/held-values.js';
import {
  FIRST_AWAY_MS,
  MAX_AWAY_MS,
  StoreAvailability,
} from '../../lib/cache/store-availability.js';

describe('values held in process for grace', () => {
  it('keeps at most heldEntries, dropping the least recently used first', () => {
    const held = new HeldValues(2, 1_000_000);
    held.keep('a', 1, 10);
    held.keep('b', 2, 10);
    held.get('a');
    held.keep('c', 3, 10);
    expect(held.get('b')).toBeUndefined();
    expect(held.get('a')?.value).toBe(1);
    expect(held.get('c')?.value).toBe(3);
  });

  it('keeps roughly at most heldBytes, and never one value larger than that', () => {
    const held = new HeldValues(100, 2000);
    held.keep('big', 'x'.repeat(5000), 10);
    expect(held.size).toBe(0);
    for (let i = 0; i < 10; i++) held.keep(`k${i}`, 'x'.repeat(300), 10);
    expect(held.size).toBeGreaterThan(0);
    expect(held.size).toBeLessThan(10);
    expect(held.get('k9')).toBeDefined();
  });

  it('serves copies, so a caller that changes what it got does not change what is served later', () => {
    const held = new HeldValues(10, 1_000_000);
    const value = { name: 'Ada' };
    held.keep('u', value, 10);
    value.name = 'changed by the first caller';
    const served = held.get('u')?.value as { name: string };
    served.name = 'changed by a later caller';
    expect(held.get('u')?.value).toEqual({ name: 'Ada' });
  });

  it('never holds a value larger than heldBytes, however deeply it is nested', () => {
    const held = new HeldValues(1000, 4 * 1024 * 1024);
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 10; i++) {
      let value: unknown = { leaf: big + i };
      for (let depth = 0; depth < 20; depth++) value = { child: value };
      held.keep(`k${i}`, value, 10);
    }
    // Each value takes about 2 MB (UTF-16), so at most two fit in 4 MiB.
    expect(held.size).toBeLessThanOrEqual(2);
    expect(held.size).toBeGreaterThan(0);
  });

  it('sizes a value with back references (a circular value) once per object, so holding it stays cheap', () => {
    const parent: { name: string; children: unknown[] } = { name: 'p', children: [] };
    for (let i = 0; i < 12; i++) parent.children.push({ i, parent });
    // About 70 bytes per child: every object is counted once, not once per path to it.
    expect(sizeOf(parent)).toBeLessThan(2_000);
    const held = new HeldValues(10, 1_000_000);
    held.keep('tree', parent, 10);
    const copy = held.get('tree')?.value as typeof parent;
    expect((copy.children[3] as { parent: unknown }).parent).toBe(copy);
  });

  it('counts a value of more than a million items as too large to hold', () => {
    expect(sizeOf(new Array<number>(MAX_SIZE_VISITS).fill(1))).toBe(Infinity);
    const held = new HeldValues(10, Number.MAX_SAFE_INTEGER);
    held.keep('huge', new Array<number>(MAX_SIZE_VISITS).fill(1), 10);
    expect(held.size).toBe(0);
  });

  it('does not hold a value it cannot copy, rather than the live object', () => {
    const held = new HeldValues(10, 1_000_000);
    const live = { name: 'Ada', greet: () => 'hello' };
    held.keep('u', live, 10);
    expect(held.get('u')).toBeUndefined();
    expect(held.uncopyable).toBe(1);
  });

  it('replaces a value written again (another freshUntil), and only touches the same one', () => {
    const held = new HeldValues(10, 1_000_000);
    held.keep('k', 'first', 10);
    held.keep('k', 'same write read again', 10);
    expect(held.get('k')?.value).toBe('first');
    held.keep('k', 'second', 20);
    expect(held.get('k')).toEqual({ value: 'second', freshUntil: 20 });
  });
});

describe('whether graced calls ask the store', () => {
  it('stays away after a failure, lets one probe through per window, and doubles the window up to its bound', () => {
    const availability = new StoreAvailability();
    availability.failed(0);
    expect(availability.isAway).toBe(true);
    expect(availability.shouldProbe(FIRST_AWAY_MS - 1)).toBe(false);
    expect(availability.shouldProbe(FIRST_AWAY_MS)).toBe(true);
    expect(availability.shouldProbe(FIRST_AWAY_MS)).toBe(false); // one probe at a time
    availability.failed(FIRST_AWAY_MS);
    expect(availability.shouldProbe(FIRST_AWAY_MS * 3 - 1)).toBe(false);
    expect(availability.shouldProbe(FIRST_AWAY_MS * 3)).toBe(true);
    availability.failed(FIRST_AWAY_MS * 3); // the probe failed: the window doubles, up to its bound
    availability.failed(FIRST_AWAY_MS * 4); // a call that was waiting: the window stays
    const next = FIRST_AWAY_MS * 3 + Math.min(FIRST_AWAY_MS * 4, MAX_AWAY_MS);
    expect(availability.shouldProbe(next - 1)).toBe(false);
    expect(availability.shouldProbe(next)).toBe(true);
    for (let i = 0; i < 10; i++) {
      availability.failed(0);
      availability.shouldProbe(Number.MAX_SAFE_INTEGER);
    }
    availability.failed(0);
    expect(availability.shouldProbe(MAX_AWAY_MS - 1)).toBe(false);
    expect(availability.shouldProbe(MAX_AWAY_MS)).toBe(true);
    expect(availability.answered()).toBe(true);
    expect(availability.isAway).toBe(false);
    expect(availability.answered()).toBe(false);
  });
});

describe('graceBackoff', () => {
  it('rests a failed key for its backoff only', () => {
    const backoff = new GraceBackoff();
    backoff.failed('k', 500, 1000);
    expect(backoff.resting('k', 1499)).toBe(true);
    expect(backoff.resting('other', 1200)).toBe(false);
    expect(backoff.resting('k', 1500)).toBe(false);
    backoff.failed('k', 0, 2000);
    expect(backoff.resting('k', 2000)).toBe(false);
  });
});
