import { createStore } from '../../../lib/index.js';
import { startInstances, type Instance, type InstanceConfig } from './instances.js';

/** Sums one counter over the replies of several instances. */
export function total(stats: ReadonlyArray<Record<string, unknown>>, name: string): number {
  return stats.reduce((sum, s) => sum + Number(s[name]), 0);
}

/**
 * The stampede scenario of the issue: `instances` processes, each with `callers` concurrent calls
 * of one cold key, released together. Resolves every call's result, the run count Redis holds,
 * and each instance's counters.
 */
export async function stampede(
  config: InstanceConfig,
  instances: number,
  callers: number,
  id: string,
): Promise<{
  values: unknown[];
  runs: number | undefined;
  stats: Array<Record<string, unknown>>;
  maxMs: number;
}> {
  let started: Instance[] = [];
  const reader = createStore(config.store);
  try {
    started = await startInstances(instances, config);
    const replies = await Promise.all(started.map((instance) => instance.call(id, callers)));
    const results = replies.flatMap((reply) => reply.results ?? []);
    return {
      values: results.map((result) => result.value ?? result.error),
      runs: await reader.get<number>(`runs:${id}`),
      stats: replies.map((reply) => reply.stats as unknown as Record<string, unknown>),
      maxMs: Math.max(...results.map((result) => result.ms)),
    };
  } finally {
    await Promise.all(started.map((instance) => instance.stop()));
    await reader.close();
  }
}
