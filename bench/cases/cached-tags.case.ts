import type { CaseModule } from '../support/case-module.js';
import { timeAtMost } from '../support/targets.js';

/** A hit of a method with tags and jitter against a plain @Cached hit (swr shown for reference). */
const SUBJECTS = ['cached tags+jitter', 'cached plain', 'cached swr'];

const cachedTagsCases: CaseModule = {
  order: 31,
  jobs: () =>
    (['memory', 'redis'] as const).map((backend) => ({
      script: 'cached-tags-hit',
      args: [backend],
      subjects: SUBJECTS,
      rows: [
        {
          id: `cached-tags-hit-${backend}`,
          title: `@Cached hit with tags and jitter against a plain @Cached hit (${backend} store, one awaited at a time)`,
          unit: 'ops/s' as const,
        },
      ],
      redis: backend === 'redis',
    })),
  targets: (['memory', 'redis'] as const).flatMap((backend) => [
    // Issue 11: tags and jitter cost nothing on a hit, so the hit stays close to a plain one.
    timeAtMost(
      `@Cached hit with tags and jitter <= 1.2x the time of a plain @Cached hit (${backend})`,
      `cached-tags-hit-${backend}`,
      'cached tags+jitter',
      'cached plain',
      1.2,
    ),
    // Reported, not a target: the envelope check of a staleWhileRevalidate hit.
    timeAtMost(
      `@Cached staleWhileRevalidate hit against a plain @Cached hit (${backend}; reported, no target)`,
      `cached-tags-hit-${backend}`,
      'cached swr',
      'cached plain',
      Number.POSITIVE_INFINITY,
    ),
  ]),
};
export default cachedTagsCases;
