import { useRedis } from '../support/shared-redis/shared-servers.js';
import { runKeyvCompliance } from './keyv-suite-runner.js';

const shared = useRedis('keyv');

// Keyv enables iterator() for the redis dialect, so the iterator tests run here too.
runKeyvCompliance('redis', shared, true);
