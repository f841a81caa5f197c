import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import {
  getKvStoreToken,
  InvalidArgumentError,
  KvStore,
  KvStoreHealthIndicator,
  KvStoreModule,
} from '../../lib/index.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kv: KvStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.kv.isHealthy('kv'),
      () => this.kv.isHealthy('sessions', { store: 'sessions', timeout: 0.5 }),
    ]);
  }
}

async function start(): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      KvStoreModule.forRoot(),
      KvStoreModule.forRoot({ name: 'sessions' }),
    ],
    controllers: [HealthController],
  }).compile();
}

describe('KvStoreHealthIndicator with @nestjs/terminus', () => {
  let moduleRef: TestingModule;
  afterEach(async () => {
    await moduleRef.close();
  });

  it('reports every store up, naming the backend', async () => {
    moduleRef = await start();
    await moduleRef.init();
    const result = await moduleRef.get(HealthController).check();
    expect(result).toEqual({
      status: 'ok',
      info: {
        kv: { status: 'up', backend: 'memory', store: 'default' },
        sessions: { status: 'up', backend: 'memory', store: 'sessions' },
      },
      error: {},
      details: {
        kv: { status: 'up', backend: 'memory', store: 'default' },
        sessions: { status: 'up', backend: 'memory', store: 'sessions' },
      },
    });
  });

  it('reports a closed store down: the health endpoint answers 503', async () => {
    moduleRef = await start();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await moduleRef.get<KvStore>(getKvStoreToken('sessions')).close();
    const response = await request(app.getHttpServer()).get('/health').expect(503);
    expect(response.body).toMatchObject({
      status: 'error',
      info: { kv: { status: 'up', backend: 'memory' } },
      error: {
        sessions: {
          status: 'down',
          backend: 'memory',
          store: 'sessions',
          message: 'The memory store is closed',
        },
      },
    });
    await app.close();
  });

  it('reports a store down when its ping is slower than the timeout', async () => {
    moduleRef = await start();
    await moduleRef.init();
    const store = moduleRef.get(KvStore);
    store.ping = () => new Promise((resolve) => setTimeout(resolve, 300));
    const result = await moduleRef.get(KvStoreHealthIndicator).isHealthy('kv', { timeout: 0.05 });
    expect(result).toEqual({
      kv: {
        status: 'down',
        backend: 'memory',
        store: 'default',
        message: 'the memory store did not answer a ping within 0.05s',
      },
    });
  });

  it('refuses a store name that is not registered', async () => {
    moduleRef = await start();
    await expect(
      moduleRef.get(KvStoreHealthIndicator).isHealthy('x', { store: 'nope' }),
    ).rejects.toThrow(
      new InvalidArgumentError(
        'KvStoreHealthIndicator: store "nope" is not registered with KvStoreModule',
      ),
    );
  });
});
