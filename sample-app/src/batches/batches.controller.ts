import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { optionalPositiveInteger, requireString } from '../common/request-validation.js';
import { BatchProgressService } from './batch-progress.service.js';

/** Batch progress over HTTP. */
@Controller('batches')
export class BatchesController {
  constructor(private readonly batches: BatchProgressService) {}

  /** `POST /batches {"name", "total"?}`: starts a batch. */
  @Post()
  create(@Body() body: unknown) {
    return this.batches.create(
      requireString(body, 'name', 200),
      optionalPositiveInteger(body, 'total') ?? null,
    );
  }

  /** `GET /batches`: every batch with its counters. */
  @Get()
  list() {
    return this.batches.list();
  }

  /** `GET /batches/:id`: one batch, or 404. */
  @Get(':id')
  get(@Param('id') id: string) {
    return this.batches.progress(id);
  }

  /** `POST /batches/:id/items {"status": "processed" | "failed", "count"?}`: records items. */
  @Post(':id/items')
  @HttpCode(200)
  record(@Param('id') id: string, @Body() body: unknown) {
    const status = requireString(body, 'status', 20);
    if (status !== 'processed' && status !== 'failed') {
      throw new BadRequestException('"status" must be "processed" or "failed"');
    }
    return this.batches.record(id, status, optionalPositiveInteger(body, 'count') ?? 1);
  }
}
