import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { KvStore } from 'nestjs-kv-store';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGINT/SIGTERM run the module's shutdown hook, which closes every store it created.
  app.enableShutdownHooks();
  const config = app.get(ConfigService);
  const port = Number(config.get<string>('PORT') ?? 3000);
  await app.listen(port);
  const backend = app.get(KvStore).backend;
  new Logger('SampleApp').log(
    `Listening on http://localhost:${port} with the ${backend} store (try GET /stats, /health)`,
  );
}

await bootstrap();
