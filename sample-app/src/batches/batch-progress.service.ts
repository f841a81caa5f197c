import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KvStore } from 'nestjs-kv-store';

/** What a batch reports. */
export interface BatchProgress {
  id: string;
  name: string;
  total: number | null;
  createdAt: string;
  processed: number;
  failed: number;
}

interface BatchMeta {
  name: string;
  total: number | null;
  createdAt: string;
}

const PREFIX = 'batch:';

/**
 * Batch progress: counters updated with atomic increments (no read-modify-write race between
 * workers), every batch listed with one prefix range query. Keys: `batch:<id>:meta`,
 * `batch:<id>:processed`, `batch:<id>:failed`.
 */
@Injectable()
export class BatchProgressService {
  constructor(private readonly store: KvStore) {}

  /** Creates a batch and returns its progress (all zero). */
  async create(name: string, total: number | null): Promise<BatchProgress> {
    const id = `${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const meta: BatchMeta = { name, total, createdAt: new Date().toISOString() };
    await this.store.putMany([
      [`${PREFIX}${id}:meta`, meta],
      [`${PREFIX}${id}:processed`, 0],
      [`${PREFIX}${id}:failed`, 0],
    ]);
    return { id, ...meta, processed: 0, failed: 0 };
  }

  /** Records `count` processed or failed items atomically; 404 when the batch does not exist. */
  async record(id: string, outcome: 'processed' | 'failed', count: number): Promise<BatchProgress> {
    await this.meta(id);
    await this.store.increment(`${PREFIX}${id}:${outcome}`, count);
    return this.progress(id);
  }

  /** One batch's progress; 404 when it does not exist. */
  async progress(id: string): Promise<BatchProgress> {
    const meta = await this.meta(id);
    const [processed, failed] = await this.store.getMany<number>([
      `${PREFIX}${id}:processed`,
      `${PREFIX}${id}:failed`,
    ]);
    return { id, ...meta, processed: processed ?? 0, failed: failed ?? 0 };
  }

  /** Every batch, in key order, from one prefix range query. */
  async list(): Promise<BatchProgress[]> {
    const batches = new Map<string, Partial<BatchProgress>>();
    for (const [key, value] of await this.store.rangeGet(PREFIX)) {
      const rest = key.slice(PREFIX.length);
      const split = rest.lastIndexOf(':');
      const id = rest.slice(0, split);
      const field = rest.slice(split + 1);
      const batch = batches.get(id) ?? { id, processed: 0, failed: 0 };
      if (field === 'meta') Object.assign(batch, value as BatchMeta);
      else if (field === 'processed' || field === 'failed') batch[field] = value as number;
      batches.set(id, batch);
    }
    return [...batches.values()].filter((b): b is BatchProgress => b.name !== undefined);
  }

  private async meta(id: string): Promise<BatchMeta> {
    const meta = await this.store.get<BatchMeta>(`${PREFIX}${id}:meta`);
    if (meta === undefined) throw new NotFoundException(`No batch ${id}`);
    return meta;
  }
}
