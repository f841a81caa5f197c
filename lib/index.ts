/**
 * The `nestjs-kv-store` entry point: everything of `nestjs-kv-store/core` (stores, serializers,
 * errors, migration, the Keyv adapter) plus the NestJS layer (module, `@Cached`, health).
 * @module
 */
export * from './core-entry.js';
export * from './nest/index.js';
