import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { KvStore } from 'nestjs-kv-store';
import { AppModule } from './app.module.js';
import { startSampleTelemetry } from './telemetry/otel-sdk.js';

async function bootstrap(): Promise<void> {
  // Before the app: its stores report to OpenTelemetry from their first operation.
  startSampleTelemetry();
  const app = await NestFactory.create(AppModule);
  // SIGINT/SIGTERM run the module's shutdown hook, which closes every store it created.
  app.enableShutdownHooks();
  const config = app.get(ConfigService);
  const port = Number(config.get<string>('PORT') ?? 3000);
  await app.listen(port);
  const backend = app.get(KvStore).backend;
  new Logger('SampleApp').log(
    `Listening on http://localhost:${port} with the ${backend} store (try GET /dashboard, /metrics, /stats, /health)`,
  );
}

await bootstrap();
