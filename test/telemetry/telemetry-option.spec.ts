import { createStore, InvalidOptionsError, type StoreOptions } from '../../lib/index.js';

describe('the telemetry store option', () => {
  it.each([
    [{ telemetry: 'off' }, /telemetry must be true, false or an object; got "off"/],
    [{ telemetry: { sample: 0.1 } }, /Unknown telemetry option sample; valid options are name/],
    [{ telemetry: { name: '' } }, /telemetry.name must be a non-empty string/],
    [
      { telemetry: { keyPrefixDelimiter: 5 } },
      /telemetry.keyPrefixDelimiter must be a non-empty string/,
    ],
    [
      { telemetry: { statsInterval: -1 } },
      /telemetry.statsInterval must be a number of seconds >= 0/,
    ],
  ])('rejects %j with an InvalidOptionsError naming the option', (options, message) => {
    const create = () => createStore(options as unknown as StoreOptions);
    expect(create).toThrow(InvalidOptionsError);
    expect(create).toThrow(message);
  });

  it('accepts true, false and an object on both backends (Redis without connecting)', async () => {
    for (const telemetry of [
      true,
      false,
      { name: 'n', keyPrefixDelimiter: ':', statsInterval: 0 },
    ]) {
      const memory = createStore({ telemetry });
      await memory.put('k', 1);
      await memory.close();
      await createStore({ type: 'redis', port: 1, telemetry }).close();
    }
  });
});
