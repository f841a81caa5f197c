import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * Global setup of the `redis` Jest project: one standalone server and one 6-node cluster for the
 * whole run, so that specs which never stop, pause or reconfigure their server do not pay a
 * start-up each (shared-servers.ts is their side). The ports reach the workers through the
 * environment: Jest starts them after this and they inherit it.
 *
 * Jest loads this file outside its module system, where TypeScript does not load: the harness's
 * two files are transpiled into a temporary folder and imported from there.
 */
export default async function globalSetup(_globalConfig, projectConfig) {
  const out = await mkdtemp(join(tmpdir(), 'kv-shared-redis-'));
  for (const name of ['redis-harness', 'server-binaries']) {
    const source = await readFile(
      join(projectConfig.rootDir, 'test/support', `${name}.ts`),
      'utf8',
    );
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(out, `${name}.js`), outputText);
  }
  try {
    const { startCluster, startRedis } = await import(
      pathToFileURL(join(out, 'redis-harness.js')).href
    );
    const [standalone, cluster] = await Promise.all([startRedis(), startCluster()]);
    // The names are those of shared-servers.ts.
    process.env.KV_TEST_SHARED_REDIS_PORT = String(standalone.port);
    process.env.KV_TEST_SHARED_CLUSTER_PORTS = cluster.nodes.map((node) => node.port).join(',');
    // The teardown runs in this process and finds them here.
    globalThis.kvSharedServers = [standalone, cluster];
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
