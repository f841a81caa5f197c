import { runCacheScenarios } from '../cache/support/cache-scenarios.js';
import { cachedOver, serviceGetOrSet } from '../cache/support/subjects.js';

runCacheScenarios('@Cached', (options, load) => cachedOver(undefined, options, load));
runCacheScenarios('KvCacheService.getOrSet', serviceGetOrSet);
