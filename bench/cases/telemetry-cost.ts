import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { createStore, type KvStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, scriptArgs, sequentialRate } from '../support/measure.js';

// argv: comma-separated subjects, row id, gets per round of the instrumented subject (200k for
// 'telemetry off'), quick. Subjects: 'telemetry off' (`telemetry: false`, no
// instrumentation at all), 'API without SDK' (instrumented, @opentelemetry/api installed, nothing
// registered) and 'SDK + no-op exporter' (a tracer and a meter provider registered; spans go to an
// exporter that drops them, metrics are aggregated and never read). The SDK subject registers the
// SDK for the whole process, so its case measures it against 'telemetry off' only.
const { subjects, args, quick } = scriptArgs();
const rowId = args[0] as string;

/** An exporter that accepts every batch and does nothing with it. */
const noopExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

/** A reader that never collects: the cost is the SDK's recording, not an export. */
class IdleReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

if (subjects.includes('SDK + no-op exporter')) {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(noopExporter)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new IdleReader()] }));
}

const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const stores: Record<string, KvStore> = {};
const operations: Record<string, (i: number) => Promise<unknown>> = {};
for (const subject of subjects) {
  const store = createStore({ telemetry: subject !== 'telemetry off' });
  for (let i = 0; i < KEYS; i++) await store.put(keys[i] as string, sampleValue(i));
  stores[subject] = store;
  operations[subject] = (i) => store.get(keys[i % KEYS] as string);
}

const count = (subject: string): number =>
  quick ? 20_000 : subject === 'telemetry off' ? 200_000 : Number(args[1]);
const rows = await interleavedRounds(subjects, quick ? 1 : 15, async (subject) => ({
  [rowId]: await sequentialRate(
    count(subject),
    operations[subject] as (i: number) => Promise<unknown>,
  ),
}));
for (const store of Object.values(stores)) await store.close();
reportRounds(rows);
