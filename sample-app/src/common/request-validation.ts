import { BadRequestException } from '@nestjs/common';

/** Reads a required, non-empty string field of a JSON body, or answers 400 naming the field. */
export function requireString(body: unknown, field: string, maxLength = 2048): string {
  const value = bodyField(body, field);
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw new BadRequestException(
      `"${field}" must be a non-empty string of at most ${maxLength} characters`,
    );
  }
  return value;
}

/** Reads an optional positive integer field of a JSON body, or answers 400 naming the field. */
export function optionalPositiveInteger(body: unknown, field: string): number | undefined {
  const value = bodyField(body, field);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new BadRequestException(`"${field}" must be a positive integer`);
  }
  return value;
}

/** Reads an optional plain-object field of a JSON body, or answers 400 naming the field. */
export function optionalObject(body: unknown, field: string): Record<string, unknown> | undefined {
  const value = bodyField(body, field);
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestException(`"${field}" must be an object`);
  }
  return value as Record<string, unknown>;
}

function bodyField(body: unknown, field: string): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('The request body must be a JSON object');
  }
  return (body as Record<string, unknown>)[field];
}
