import type { CaseModule } from '../support/job.js';
import { timeAtMost } from '../support/targets.js';

const SUBJECTS = {
  // The SDK registers itself for the whole process: each row runs in its own process.
  'telemetry-api-memory': ['API without SDK', 'no SDK registered'],
  'telemetry-sdk-memory': ['SDK + no-op exporter', 'an SDK with a no-op exporter'],
} as const;

const telemetryCases: CaseModule = {
  order: 40,
  jobs: () =>
    Object.entries(SUBJECTS).map(([id, [subject, what]]) => ({
      script: 'telemetry-cost',
      args: [id],
      subjects: [subject, 'telemetry off'],
      rows: [
        {
          id,
          title: `Telemetry cost: memory get with ${what}, against telemetry: false`,
          unit: 'ops/s' as const,
        },
      ],
    })),
  targets: [
    timeAtMost(
      'Memory get with @opentelemetry/api and no SDK <= 1.03x the time of telemetry: false',
      'telemetry-api-memory',
      'API without SDK',
      'telemetry off',
      1.03,
    ),
    timeAtMost(
      'Memory get with an SDK and a no-op exporter: time against telemetry: false (reported)',
      'telemetry-sdk-memory',
      'SDK + no-op exporter',
      'telemetry off',
      Number.POSITIVE_INFINITY,
    ),
  ],
};
export default telemetryCases;
