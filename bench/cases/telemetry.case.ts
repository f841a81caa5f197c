import type { CaseModule } from '../support/job.js';
import { timeAtMost } from '../support/targets.js';

const SUBJECTS = {
  // The SDK registers itself for the whole process: each row runs in its own process.
  'telemetry-api-memory': ['API without SDK', 'no SDK registered'],
  'telemetry-sdk-memory': ['SDK + no-op exporter', 'an SDK with a no-op exporter'],
} as const;

/**
 * Gets per round of the instrumented subject ('telemetry off' does 200k). The API row checks a
 * 1.03x target: its rounds stay as long as the other side's. The SDK row is reported only and its
 * subject is 6-8x slower, so 200k gets made its job the longest of the run after the 1M-key ones
 * (40 s of rounds under load); 50k take about as long as the other side's 200k.
 */
const GETS: Record<keyof typeof SUBJECTS, number> = {
  'telemetry-api-memory': 200_000,
  'telemetry-sdk-memory': 50_000,
};

const telemetryCases: CaseModule = {
  order: 40,
  jobs: () =>
    Object.entries(SUBJECTS).map(([id, [subject, what]]) => ({
      script: 'telemetry-cost',
      args: [id, String(GETS[id as keyof typeof SUBJECTS])],
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
