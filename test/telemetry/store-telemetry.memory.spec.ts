import { runStoreTelemetryCases } from './store-telemetry.cases.js';

runStoreTelemetryCases(
  'memory',
  () => ({ type: 'memory' }),
  () => ({}),
);
