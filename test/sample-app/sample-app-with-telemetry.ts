import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../sample-app/src/app.module.js';
import { startSampleTelemetry, type OtelSdk } from '../../sample-app/src/telemetry/otel-sdk.js';

/** The sample app listening on a free loopback port, with its OpenTelemetry SDK running. */
export interface RunningSampleApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

/**
 * Boots the sample app as main.ts does (SDK first, then the app) with these environment
 * variables, and listens on a free port.
 */
export async function startSampleAppWithTelemetry(
  env: Record<string, string>,
): Promise<RunningSampleApp> {
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  const sdk: OtelSdk = startSampleTelemetry();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    async stop() {
      await app.close();
      await sdk.shutdown();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
