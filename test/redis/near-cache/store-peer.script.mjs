// A second application instance for the near-cache tests, in its own process, on the built
// package. argv[2]: JSON store options. Reads one JSON request per stdin line
// ({ id, op, args }), runs store[op](...args), and answers one JSON line
// ({ id, ok, value } or { id, ok: false, error }) once the call has completed.
import { createInterface } from 'node:readline';
import { createStore } from '../../../dist/index.js';

const store = createStore({ type: 'redis', ...JSON.parse(process.argv[2] ?? '{}') });
await store.connect();
const lines = createInterface({ input: process.stdin });
const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
answer({ id: 0, ok: true, value: 'ready' });
for await (const line of lines) {
  const { id, op, args } = JSON.parse(line);
  try {
    const value =
      op === 'nearStats' ? (await store.getStats()).nearCache : await store[op](...args);
    answer({ id, ok: true, value: value === undefined ? null : value });
  } catch (error) {
    answer({ id, ok: false, error: String(error) });
  }
}
await store.close();
