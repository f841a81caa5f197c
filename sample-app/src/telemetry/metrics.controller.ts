import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runningTelemetry } from './otel-sdk.js';

/** `GET /metrics`: every OpenTelemetry metric of the app in the Prometheus text format. */
@Controller()
export class MetricsController {
  @Get('metrics')
  metrics(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    const sdk = runningTelemetry();
    if (sdk === undefined) {
      response.statusCode = 503;
      response.setHeader('content-type', 'text/plain; charset=utf-8');
      response.end('# The OpenTelemetry SDK is not started (see sample-app/src/main.ts)\n');
      return;
    }
    sdk.prometheus.getMetricsRequestHandler(request, response);
  }
}
