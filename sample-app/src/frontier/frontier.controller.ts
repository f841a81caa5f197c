import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { requireString } from '../common/request-validation.js';
import { FrontierProvider, baseUrl } from './frontier.provider.js';

const MAX_BATCH = 100;

/** HTTP face of the frontier provider. */
@Controller('frontier')
export class FrontierController {
  constructor(private readonly frontier: FrontierProvider) {}

  /** `GET /frontier/next?domain=example.com&limit=5`: the next URLs to fetch (cached 30 s). */
  @Get('next')
  async next(@Query('domain') domain?: string, @Query('limit') limit?: string) {
    if (!domain || !/^[a-z0-9.-]+$/i.test(domain)) {
      throw new BadRequestException('"domain" must be a host name such as example.com');
    }
    const size = limit === undefined ? 10 : Number(limit);
    if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_BATCH) {
      throw new BadRequestException(`"limit" must be an integer from 1 to ${MAX_BATCH}`);
    }
    return { domain, urls: await this.frontier.nextUrls(domain, size) };
  }

  /** `POST /frontier/claim {"url", "worker"}`: marks a URL processed; `claimed` is false when taken. */
  @Post('claim')
  @HttpCode(200)
  async claim(@Body() body: unknown) {
    const url = requireString(body, 'url');
    const worker = requireString(body, 'worker', 100);
    try {
      baseUrl(url);
    } catch {
      throw new BadRequestException('"url" must be an absolute URL such as https://example.com/a');
    }
    return this.frontier.claim(url, worker);
  }
}
