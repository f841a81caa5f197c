import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The version in the package.json of `name`, resolved from `from` (a package directory). */
function installedVersion(name: string, from?: string): string {
  try {
    const paths = from ? [from] : undefined;
    const entry = require.resolve(name, paths ? { paths } : undefined);
    // Walk up from the entry file to the package root that has the package.json of `name`.
    let dir = dirname(entry);
    for (;;) {
      const manifest = join(dir, 'package.json');
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (parsed.name === name) return parsed.version ?? 'unknown';
      } catch {
        // No package.json at this level: keep walking up.
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'not installed';
  }
}

/** The installed version of every library a subject is built on, read from package.json files. */
export function subjectVersions(): Record<string, string> {
  const redisDir = dirname(require.resolve('redis'));
  const keyvRedisDir = dirname(require.resolve('@keyv/redis'));
  return {
    ioredis: installedVersion('ioredis'),
    'node-redis 5': `@redis/client ${installedVersion('@redis/client')}`,
    bentocache: `${installedVersion('bentocache')} (L1 memory, L2 Redis and bus on ioredis ${installedVersion('ioredis', dirname(require.resolve('bentocache')))})`,
    'node-redis CSC': `@redis/client ${installedVersion('@redis/client')} (RESP3, clientSideCache)`,
    'node-redis 6': `redis ${installedVersion('redis')} (@redis/client ${installedVersion('@redis/client', redisDir)})`,
    keyv: installedVersion('keyv'),
    '@keyv/redis': `${installedVersion('@keyv/redis')} (on @redis/client ${installedVersion('@redis/client', keyvRedisDir)})`,
    'cache-manager': installedVersion('cache-manager'),
    'lru-cache': installedVersion('lru-cache'),
    'sorted-btree (kv-store memory index)': installedVersion('sorted-btree'),
  };
}
