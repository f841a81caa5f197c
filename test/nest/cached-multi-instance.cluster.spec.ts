import {
  LOOPBACK,
  startCluster,
  uniquePrefix,
  type ClusterSetup,
} from '../support/redis-harness.js';
import { stampede, total } from './multi-instance/run-cold-key.js';

// The stampede scenario on Redis Cluster (3 masters, 3 replicas): leases live in the slot of
// the key they guard, so every instance asks the same master.
let cluster: ClusterSetup;

beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('@Cached across instance processes on Redis Cluster', () => {
  it('runs the method once for 10 instances x 100 concurrent callers of a cold key', async () => {
    const { values, runs, stats } = await stampede(
      {
        store: {
          type: 'redis',
          cluster: {
            nodes: cluster.nodes.slice(0, 2).map((n) => ({ host: LOOPBACK, port: n.port })),
          },
          keyPrefix: uniquePrefix('cluster-stampede'),
        },
        cached: { ttl: 60 },
        computeMs: 500,
      },
      10,
      100,
      'cold-on-cluster',
    );
    expect(runs).toBe(1);
    expect(values).toHaveLength(1000);
    expect(new Set(values.map((value) => JSON.stringify(value))).size).toBe(1);
    expect(values[0]).toMatchObject({ id: 'cold-on-cluster', run: 1 });
    expect(total(stats, 'misses')).toBe(1);
    expect(total(stats, 'lockWaits')).toBe(9);
  }, 180_000);
});
