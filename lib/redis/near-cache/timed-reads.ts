import type { Cluster, Redis } from 'ioredis';
import type { RawValue } from '../../core/types.js';
import type { TimedRaw } from './near-cache.js';

type Client = Redis | Cluster;
type PipelineResult = Array<[Error | null, unknown]> | null;

/**
 * GET and PTTL of one key in one round trip (a pipeline), so the near cache knows how long the
 * value may live. Not a script: Redis before 7.0 does not track keys read inside scripts.
 */
export async function fetchTimed(
  client: Client,
  name: string,
  binary: boolean,
): Promise<TimedRaw | null> {
  const pipeline = client.pipeline();
  if (binary) pipeline.getBuffer(name);
  else pipeline.get(name);
  pipeline.pttl(name);
  const [value, pttl] = unwrap(await pipeline.exec(), 2);
  return timed(value, pttl);
}

/** MGET and the PTTL of each key in one round trip; names of one cluster slot. */
export async function fetchTimedMany(
  client: Client,
  names: readonly string[],
  binary: boolean,
): Promise<Array<TimedRaw | null>> {
  const pipeline = client.pipeline();
  if (binary) pipeline.mgetBuffer(...names);
  else pipeline.mget(...names);
  for (const name of names) pipeline.pttl(name);
  const [values, ...pttls] = unwrap(await pipeline.exec(), names.length + 1);
  return (values as Array<RawValue | null>).map((value, i) => timed(value, pttls[i]));
}

function timed(value: unknown, pttl: unknown): TimedRaw | null {
  if (value === null || value === undefined) return null;
  return { raw: value as RawValue, pttlMs: Number(pttl) };
}

function unwrap(results: PipelineResult, expected: number): unknown[] {
  if (results === null || results.length !== expected) {
    throw new Error('The read pipeline was aborted');
  }
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
