import { ArgumentsHost, Catch, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { KvStoreError, type KvStoreErrorCode } from 'nestjs-kv-store';

const STATUS_BY_CODE: Partial<Record<KvStoreErrorCode, HttpStatus>> = {
  INVALID_ARGUMENT: HttpStatus.BAD_REQUEST,
  SERIALIZATION: HttpStatus.BAD_REQUEST,
  CONNECTION: HttpStatus.SERVICE_UNAVAILABLE,
  TIMEOUT: HttpStatus.SERVICE_UNAVAILABLE,
  STORE_CLOSED: HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * Turns store errors into HTTP answers: bad input becomes 400 with the store's message, an
 * unreachable store 503; anything else 500 without internals. Never a stack trace in the body.
 */
@Catch(KvStoreError)
export class KvStoreErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(KvStoreErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: KvStoreError, host: ArgumentsHost): void {
    const status = STATUS_BY_CODE[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    if (status === HttpStatus.INTERNAL_SERVER_ERROR) this.logger.error(error.message, error.stack);
    const message =
      status === HttpStatus.INTERNAL_SERVER_ERROR ? 'Internal server error' : error.message;
    const response: unknown = host.switchToHttp().getResponse();
    this.adapterHost.httpAdapter.reply(
      response,
      { statusCode: status, code: error.code, message },
      status,
    );
  }
}
