import type { TelemetryTarget } from '../telemetry/telemetry-target.js';
import type { ResolvedRedisConfig } from './options/resolve-redis-options.js';
import type { CircuitBreakerStats } from './connection/circuit-breaker.js';

/**
 * Telemetry attributes of a Redis store. `server.address`/`server.port` only on a standalone
 * server: behind Sentinel or in a cluster the server of an operation is not one configured address.
 */
export function redisTelemetryTarget(
  config: ResolvedRedisConfig,
  isReady: () => boolean,
  circuit?: () => CircuitBreakerStats,
): TelemetryTarget {
  const target: TelemetryTarget = {
    namespace: String(config.db),
    topology: config.topology,
    isReady,
  };
  if (circuit !== undefined) target.circuit = circuit;
  const [server] = config.addresses;
  if (config.topology === 'standalone' && server !== undefined) {
    target.serverAddress = server.host;
    target.serverPort = server.port;
  }
  return target;
}
