import { FinishedFlights } from '../../lib/nest/cached/finished-flights.js';

describe('FinishedFlights (late reads of @Cached)', () => {
  it('keeps a finished flight only while a read sent before its end is unanswered', () => {
    const flights = new FinishedFlights();
    const result = Promise.resolve(1);
    const late = flights.readStarted();
    flights.finished('k', result);
    expect(flights.since('k', late)).toBe(result);
    const after = flights.readStarted();
    expect(flights.since('k', after)).toBeUndefined();
    flights.readDone(late);
    flights.readDone(after);
    expect(flights.size).toBe(0);
  });

  it('keeps nothing when no read is outstanding as a flight ends', () => {
    const flights = new FinishedFlights();
    flights.finished('k', Promise.resolve(1));
    expect(flights.size).toBe(0);
    expect(flights.since('k', 0)).toBeUndefined();
  });

  it('drops a flight once the reads older than it are answered, while newer reads keep newer flights', () => {
    const flights = new FinishedFlights();
    const oldest = flights.readStarted();
    flights.finished('a', Promise.resolve('a'));
    const middle = flights.readStarted();
    flights.finished('b', Promise.resolve('b'));
    flights.readDone(oldest);
    expect(flights.size).toBe(1);
    expect(flights.since('a', middle)).toBeUndefined();
    expect(flights.since('b', middle)).toBeDefined();
    flights.readDone(middle);
    expect(flights.size).toBe(0);
  });
});
