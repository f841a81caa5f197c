import { FinishedFlights } from '../../lib/cache/finished-flights.js';

describe('FinishedFlights (late reads of @Cached)', () => {
  it('keeps a finished flight only while a read sent before its end is unanswered', () => {
    const flights = new FinishedFlights();
    const result = Promise.resolve(1);
    const late = flights.readStarted();
    flights.finished('k', result);
    expect(flights.since('k', late)).toBe(result);
    const after = flights.readStarted();
    expect(flights.since('k', after)).toBeUndefined();
    flights.readDone();
    flights.readDone();
    expect(flights.size).toBe(0);
  });

  it('keeps nothing when no read is outstanding as a flight ends', () => {
    const flights = new FinishedFlights();
    flights.finished('k', Promise.resolve(1));
    expect(flights.size).toBe(0);
    expect(flights.since('k', 0)).toBeUndefined();
  });

  it('keeps finished flights while any read is outstanding, and drops them once none is', () => {
    const flights = new FinishedFlights();
    const oldest = flights.readStarted();
    flights.finished('a', Promise.resolve('a'));
    const middle = flights.readStarted();
    flights.finished('b', Promise.resolve('b'));
    flights.readDone();
    expect(flights.since('a', oldest)).toBeDefined();
    expect(flights.since('a', middle)).toBeUndefined();
    expect(flights.since('b', middle)).toBeDefined();
    flights.readDone();
    expect(flights.size).toBe(0);
  });

  it('keeps at most 1000 finished flights under constant load, dropping the oldest', () => {
    const flights = new FinishedFlights();
    const read = flights.readStarted();
    for (let i = 0; i < 1001; i++) flights.finished(`k${i}`, Promise.resolve(i));
    expect(flights.size).toBe(1000);
    expect(flights.since('k0', read)).toBeUndefined();
    expect(flights.since('k1000', read)).toBeDefined();
  });
});
