// One app instance for the multi-instance @Cached tests, run as its own Node process against the
// built package (dist/). argv[2]: JSON { store, cached, computeMs, tagged }. Commands arrive as JSON
// lines on stdin ({ seq, op, ... }); replies and events leave as JSON lines on stdout.
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cached, KvCacheService, KvStore, KvStoreModule } from '../../../dist/index.js';

const config = JSON.parse(process.argv[2]);
const emit = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Work {
  constructor(store) {
    this.store = store;
  }

  /** The cached method under test: counts its runs in Redis, then takes computeMs. */
  async value(id) {
    const run = await this.store.increment(`runs:${id}`);
    // Sent once the run is counted, so a test that kills this process now has a counted run.
    emit({ event: 'computing', id, pid: process.pid, run });
    await sleep(config.computeMs);
    if (config.failFromRun !== undefined && run >= config.failFromRun) {
      throw new Error(`run ${run} of ${id} failed on purpose`);
    }
    return { id, pid: process.pid, run };
  }
}
Inject(KvStore)(Work, undefined, 0);
Reflect.decorate([Injectable()], Work);
const cachedOptions = { ...config.cached };
if (config.tagged) cachedOptions.tags = (id) => [`item:${id}`, 'all-items'];
Cached(cachedOptions)(
  Work.prototype,
  'value',
  Object.getOwnPropertyDescriptor(Work.prototype, 'value'),
);

class InstanceModule {}
Reflect.decorate(
  [Module({ imports: [KvStoreModule.forRoot(config.store)], providers: [Work] })],
  InstanceModule,
);

const app = await NestFactory.createApplicationContext(InstanceModule, { logger: ['error'] });
const work = app.get(Work);
const cache = app.get(KvCacheService);
await app.get(KvStore).connect();

async function timedCall(id) {
  const started = Date.now();
  try {
    const value = await work.value(id);
    return { value, ms: Date.now() - started };
  } catch (error) {
    return { error: error.message, ms: Date.now() - started };
  }
}

const handlers = {
  call: async ({ id, concurrency = 1 }) => ({
    results: await Promise.all(Array.from({ length: concurrency }, () => timedCall(id))),
  }),
  invalidateTags: async ({ tags }) => ({ deleted: await cache.invalidateTags(...tags) }),
  stats: async () => ({}),
  storeStats: async () => ({ store: await app.get(KvStore).getStats() }),
  exit: async () => {
    await app.close();
    setTimeout(() => process.exit(0), 0);
    return {};
  },
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  handlers[command.op](command).then(
    (reply) => emit({ seq: command.seq, ...reply, stats: cache.getCachedStats() }),
    (error) => emit({ seq: command.seq, failure: String(error?.stack ?? error) }),
  );
});
emit({ event: 'ready', pid: process.pid });
