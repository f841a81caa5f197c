// Run by memory-resources.spec.ts in its own process (node --expose-gc), against the built package.
import { MemoryStore } from '../../dist/index.js';

const KEYS = Number(process.argv[2] ?? 1_000_000);
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const store = new MemoryStore();
const baseline = heap();
const value = { url: 'https://example.com/some/page', status: 200, tags: ['a', 'b'] };
for (let start = 0; start < KEYS; start += 10_000) {
  const batch = [];
  for (let i = start; i < Math.min(KEYS, start + 10_000); i++) batch.push([`k:${i}`, value]);
  await store.putMany(batch, { ttl: 1 });
}
const filled = heap();
const filledAt = Date.now();
// Nothing reads the keys: only the store's own active expiry can free them.
const deadline = filledAt + 60_000;
let stats = await store.getStats();
while (stats.expirations < KEYS && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  stats = await store.getStats();
}
const sweptInMs = Date.now() - filledAt;
const after = heap();
await store.close();
console.log(
  JSON.stringify({
    baseline,
    filled,
    after,
    sweptInMs,
    expirations: stats.expirations,
    totalKeys: stats.totalKeys,
  }),
);
