import { instrumentStore } from '../telemetry/instrument-store.js';
import type { TelemetryOption } from '../telemetry/telemetry-options.js';
import type { TelemetryTarget } from '../telemetry/telemetry-target.js';
import { InvalidOptionsError } from './errors.js';
import { describeValue } from './describe-value.js';

const TELEMETRY_OPTION_NAMES = ['name', 'keyPrefixDelimiter', 'statsInterval'];

/**
 * Applies the `telemetry` store option: instruments the store unless it is `false`. Throws
 * {@link InvalidOptionsError} naming the sub-option at fault.
 */
export function applyTelemetryOption(
  store: { readonly backend: string; readonly isClosed: boolean },
  option: unknown,
  describeTarget: () => TelemetryTarget,
): void {
  const options = parseTelemetryOption(option);
  if (options !== false) instrumentStore(store, options, describeTarget);
}

function parseTelemetryOption(option: unknown): false | Exclude<TelemetryOption, boolean> {
  if (option === undefined || option === true) return {};
  if (option === false) return false;
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw new InvalidOptionsError(
      `telemetry must be true, false or an object; got ${describeValue(option)}`,
    );
  }
  const record = option as Record<string, unknown>;
  const unknown = Object.keys(record).filter((name) => !TELEMETRY_OPTION_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new InvalidOptionsError(
      `Unknown telemetry option ${unknown.join(', ')}; valid options are ${TELEMETRY_OPTION_NAMES.join(', ')}`,
    );
  }
  const { name, keyPrefixDelimiter, statsInterval } = record;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new InvalidOptionsError(
      `telemetry.name must be a non-empty string; got ${describeValue(name)}`,
    );
  }
  if (
    keyPrefixDelimiter !== undefined &&
    (typeof keyPrefixDelimiter !== 'string' || keyPrefixDelimiter.length === 0)
  ) {
    throw new InvalidOptionsError(
      `telemetry.keyPrefixDelimiter must be a non-empty string; got ${describeValue(keyPrefixDelimiter)}`,
    );
  }
  if (
    statsInterval !== undefined &&
    (typeof statsInterval !== 'number' || !Number.isFinite(statsInterval) || statsInterval < 0)
  ) {
    throw new InvalidOptionsError(
      `telemetry.statsInterval must be a number of seconds >= 0; got ${describeValue(statsInterval)}`,
    );
  }
  return {
    name: name as string | undefined,
    keyPrefixDelimiter: keyPrefixDelimiter as string | undefined,
    statsInterval: statsInterval as number | undefined,
  };
}
