import type { Job } from './job.js';
import type { Target } from './targets.js';

/**
 * A file bench/cases/<name>.case.ts: the jobs it runs and the targets it checks. `npm run bench`
 * picks up every such file; adding a case touches no shared file.
 */
export interface CaseModule {
  /** The jobs of a full run, or of the quick smoke run (small sizes, figures meaningless). */
  jobs(quick: boolean): Job[];
  /** Targets checked against the rows of this file (or of any file). */
  targets: Target[];
  /** Sort key among case files (default 100): memory first, then Redis, then the Nest layer. */
  order?: number;
}
