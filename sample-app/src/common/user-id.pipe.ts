import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/**
 * Parses a user id from the URL: a positive integer written in plain digits, at most
 * `Number.MAX_SAFE_INTEGER`. ParseIntPipe accepts "99999999999999999999999" (it becomes 1e23,
 * which the upstream API then refuses) and "0"; both are the caller's mistake, so 400 here.
 */
@Injectable()
export class UserIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[1-9]\d{0,15}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(id)) {
      throw new BadRequestException(
        `id must be a positive integer up to ${Number.MAX_SAFE_INTEGER}; got ${JSON.stringify(value.slice(0, 40))}`,
      );
    }
    return id;
  }
}
