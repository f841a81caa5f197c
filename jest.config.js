import { availableParallelism } from 'node:os';

/**
 * Jest in native ESM mode (NestJS 12 ships ESM-only packages), in three groups that run alone
 * with `--selectProjects` (`npm run test:unit`, `test:redis`, `test:e2e`; their `--config` only
 * ends the list of projects, so that `npm run test:unit -- test/memory` takes a path) and
 * together with `npm test`:
 *
 * - `unit`: no server, no child process; the harness refuses to start a server here.
 * - `redis`: real servers. One standalone server and one cluster are shared by the whole run
 *   (test/support/shared-redis/), for specs that never stop, pause or reconfigure them.
 * - `e2e`: child processes, the browser, the installed package, the sample app.
 *
 * A spec that starts a server goes into `REDIS`; one that starts a process, into `E2E`; every
 * other spec is a unit spec.
 */

/** Specs that start a process (maybe servers too), drive the browser or the installed package. */
const E2E = [
  'bench/bench-smoke',
  'cli/cli-faults',
  'cli/kv-store-cli',
  'nest/cached-multi-instance\\.[^/]*',
  'nest/inject-without-metadata',
  'package/',
  'redis/near-cache/processes',
  'reliability/circuit-breaker-instances',
  'reliability/failover-coherence',
  'reliability/near-cache-coherence',
  'resources/memory-resources',
  'sample-app/',
];

/** Specs that start servers in the Jest worker. */
const REDIS = [
  'cache/cache-redis-away',
  'cli/run-cli-in-process',
  'keyv/keyv-compliance\\.redis',
  'migration/copy-store',
  'nest/[^/]*\\.redis',
  'nest/cached-tags\\.near-cache-race',
  'redis/(acl|cluster|coalescing|connection|increment|leases|put-atomicity|script-flush-order|sentinel|standalone|tls)',
  'redis/near-cache/',
  'reliability/(?!circuit-breaker-instances|failover-coherence|near-cache-coherence|coherence-checker|rejection-watch|store-options)',
  'telemetry/cached-telemetry',
  'telemetry/store-telemetry\\.redis',
];

// Each group is one regular expression over the spec's path, not ignore patterns: a
// --testPathIgnorePatterns on the command line (.ci/matrix.sh passes one) replaces the config's.
const any = (paths) => `/test/(?:${paths.join('|')})[^/]*\\.spec\\.ts$`;
const not = (paths) => `^(?!.*${any(paths)})`;

const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  rootDir: import.meta.dirname,
  roots: ['<rootDir>/test'],
  moduleNameMapper: {
    // The sample app imports the library by its package name; tests run it on the sources.
    '^nestjs-kv-store$': '<rootDir>/lib/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
};

export default {
  testTimeout: 30000,
  // Longest spec first, also on a clean clone where Jest has no durations of its own yet.
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.mjs',
  // Most specs wait on servers, processes and timers rather than the CPU: two workers on 2 cores
  // (Jest's default would be one), one per core beyond that.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testRegex: `${not([...REDIS, ...E2E])}.*/test/.*\\.spec\\.ts$`,
      globals: { kvTestGroup: 'unit' },
    },
    {
      ...shared,
      displayName: 'redis',
      testRegex: `${not(E2E)}.*${any(REDIS)}`,
      globalSetup: '<rootDir>/test/support/shared-redis/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/shared-redis/global-teardown.mjs',
    },
    {
      ...shared,
      displayName: 'e2e',
      testRegex: any(E2E),
    },
  ],
};
