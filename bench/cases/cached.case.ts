import type { CaseModule } from '../support/case-module.js';
import { timeAtMost } from '../support/targets.js';

const SUBJECTS = ['cached', 'cache-aside by hand', 'store.get prebuilt'];

const cachedCases: CaseModule = {
  order: 30,
  jobs: () =>
    (['memory', 'redis'] as const).map((backend) => ({
      script: 'cached-hit',
      args: [backend],
      subjects: SUBJECTS,
      rows: [
        {
          id: `cached-hit-${backend}`,
          title: `@Cached hit against a hand-written cache-aside and a bare store.get (${backend} store, one awaited at a time)`,
          unit: 'ops/s' as const,
        },
      ],
      redis: backend === 'redis',
      repetitions: backend === 'redis' ? 1 : 2,
    })),
  targets: (['memory', 'redis'] as const).flatMap((backend) => [
    timeAtMost(
      `@Cached hit <= 1.1x the time of a hand-written cache-aside (${backend})`,
      `cached-hit-${backend}`,
      'cached',
      'cache-aside by hand',
      1.1,
    ),
    // Reported, not a target: what the decorator adds over the bare lookup with a ready key.
    {
      ...timeAtMost(
        `@Cached hit against store.get with a prebuilt key (${backend}; reported, no target)`,
        `cached-hit-${backend}`,
        'cached',
        'store.get prebuilt',
        Number.POSITIVE_INFINITY,
      ),
    },
  ]),
};
export default cachedCases;
