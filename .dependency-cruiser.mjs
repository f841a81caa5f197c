/**
 * Architecture rules, checked by `npm run lint` (dependency-cruiser): no import cycles between
 * files of lib/ and bench/ (type-only imports included), and the folders of lib/ in layers: the
 * contract (core), serializers and telemetry at the bottom, the backends on them, then migration,
 * the Keyv adapter, the CLI and the cache layer (lib/cache, over any store), with the Nest layer on top.
 */
const BELOW_NEST =
  '^lib/(core|serializers|telemetry|cache|memory|redis|migration|keyv|cli)/|^lib/(create-store|kv-store-env|core-entry)\\.ts$';

export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle hides which module sits lower; `import type` counts too.',
      severity: 'error',
      from: { path: '^(lib|bench)/' },
      to: { circular: true },
    },
    {
      name: 'core-stays-at-the-bottom',
      comment: 'The contract imports only itself, the serializers and telemetry.',
      severity: 'error',
      from: { path: '^lib/core/' },
      to: { path: '^lib/', pathNot: '^lib/(core|serializers|telemetry)/' },
    },
    {
      name: 'serializers-import-nothing-else',
      severity: 'error',
      from: { path: '^lib/serializers/' },
      to: { path: '^lib/', pathNot: '^lib/serializers/' },
    },
    {
      name: 'telemetry-imports-nothing-else',
      comment: 'Every layer reports to telemetry, so it depends on none of them.',
      severity: 'error',
      from: { path: '^lib/telemetry/' },
      to: { path: '^lib/', pathNot: '^lib/telemetry/' },
    },
    {
      name: 'backends-stay-below-tools',
      comment: 'A backend imports the contract and shared pieces, never another backend or a tool.',
      severity: 'error',
      from: { path: '^lib/(memory|redis)/' },
      to: { path: '^lib/', pathNot: '^lib/(core|serializers|telemetry)/|^lib/$1/' },
    },
    {
      name: 'redis-pieces-stay-below-the-store',
      comment:
        'The sub-folders of lib/redis (options, connection, scripts, writes, reads, index, near-cache) are the pieces the store is made of: of the files beside redis-store.ts they import only the shared RedisStoreContext.',
      severity: 'error',
      from: { path: '^lib/redis/[^/]+/' },
      to: { path: '^lib/redis/[^/]+\\.ts$', pathNot: '^lib/redis/redis-store-context\\.ts$' },
    },
    {
      name: 'redis-context-below-its-users',
      comment:
        'RedisStoreContext is handed to the writes, range reads, leases, stats and batch sender, so it imports none of them (nor anything else beside redis-store.ts).',
      severity: 'error',
      from: { path: '^lib/redis/redis-store-context\\.ts$' },
      to: {
        path: '^lib/redis/([^/]+\\.ts|writes/redis-writes\\.ts|reads/redis-range\\.ts)$',
      },
    },
    {
      name: 'cache-works-over-any-store',
      comment:
        'The cache layer builds on the KvStore contract alone: no backend (Redis, memory), no Nest.',
      severity: 'error',
      from: { path: '^lib/cache/' },
      to: { path: '^lib/', pathNot: '^lib/(core|serializers|telemetry|cache)/' },
    },
    {
      name: 'tools-stay-below-the-cli',
      comment:
        'Migration, the Keyv adapter and the store factory are used by the CLI, never the reverse.',
      severity: 'error',
      from: { path: '^lib/(migration|keyv)/|^lib/(create-store|kv-store-env)\\.ts$' },
      to: { path: '^lib/cli/' },
    },
    {
      name: 'only-nest-loads-nest',
      comment:
        'Nothing below the Nest layer loads it or @nestjs packages: the /core entry relies on it.',
      severity: 'error',
      from: { path: BELOW_NEST },
      to: { path: '^lib/nest/|@nestjs/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.tmp)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
