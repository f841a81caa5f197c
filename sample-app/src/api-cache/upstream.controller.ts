import { Controller, Get, Param } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as delay } from 'node:timers/promises';
import { UserIdPipe } from '../common/user-id.pipe.js';

/** A user record as the slow upstream API returns it. */
export interface UpstreamUser {
  id: number;
  name: string;
  servedAt: string;
}

/**
 * Stands in for a slow third-party API: every answer takes `UPSTREAM_DELAY_MS` (default 500) ms,
 * so the effect of caching is visible.
 */
@Controller('upstream')
export class UpstreamController {
  private readonly delayMs: number;

  constructor(config: ConfigService) {
    this.delayMs = Number(config.get<string>('UPSTREAM_DELAY_MS') ?? 500);
  }

  /** `GET /upstream/users/:id`: slow on purpose. */
  @Get('users/:id')
  async user(@Param('id', UserIdPipe) id: number): Promise<UpstreamUser> {
    await delay(this.delayMs);
    return { id, name: `User ${id}`, servedAt: new Date().toISOString() };
  }
}
