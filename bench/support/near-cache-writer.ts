import { RedisStore } from '../../lib/index.js';

// Instance B of the invalidation-delay case, forked with an IPC channel. argv: port, key prefix.
// On { key, value } it puts the value and answers { ackAt }: process.hrtime.bigint() (a
// machine-wide monotonic clock on Linux, so A can compare it with its own) once the put resolved.
const [port = '6379', keyPrefix = 'bench-near-inv:'] = process.argv.slice(2);
const store = new RedisStore({ host: '127.0.0.1', port: Number(port), keyPrefix });
await store.connect();
process.on('message', (message: { key: string; value: number } | 'stop') => {
  if (message === 'stop') {
    void store.close().then(() => process.disconnect());
    return;
  }
  void store.put(message.key, message.value).then(() => {
    process.send?.({ ackAt: String(process.hrtime.bigint()) });
  });
});
process.send?.({ ready: true });
