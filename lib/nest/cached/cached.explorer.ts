import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { type CachedMethodMetadata, readCachedMetadata } from './cached.metadata.js';
import { KvCacheService } from './kv-cache.service.js';

/** A decorated method found on a prototype. */
interface FoundMethod {
  name: string;
  original: (...args: unknown[]) => unknown;
  metadata: CachedMethodMetadata;
}

/**
 * Finds `@Cached` methods at module init and replaces them, on each provider instance (never on
 * the shared prototype, so other apps using the same class are unaffected), with a caching
 * wrapper from {@link KvCacheService}.
 *
 * - Singleton and transient providers are wrapped, whatever module they live in.
 * - Request-scoped providers (and providers that depend on one) get a new instance per request
 *   that this explorer never sees: they are not wrapped and a warning names them.
 * - Controllers are not wrapped: Nest binds route handlers before module init. A warning says so.
 * @internal
 */
@Injectable()
export class CachedExplorer implements OnModuleInit {
  private readonly logger = new Logger('Cached');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly cache: KvCacheService,
  ) {}

  /** Wraps every `@Cached` method of every static provider instance of the app. */
  onModuleInit(): void {
    const wrapped = new WeakSet<object>();
    for (const wrapper of this.discovery.getProviders()) {
      this.exploreProvider(wrapper, wrapped);
    }
    for (const wrapper of this.discovery.getControllers()) {
      const found = this.findCachedMethods(wrapper);
      if (found.length > 0) {
        this.logger.warn(
          `${describeWrapper(wrapper)}: @Cached on controller methods (${names(found)}) has no effect; ` +
            'put it on a provider method the controller calls',
        );
      }
    }
  }

  private exploreProvider(wrapper: InstanceWrapper, wrapped: WeakSet<object>): void {
    if (wrapper.isAlias) return;
    const found = this.findCachedMethods(wrapper);
    if (found.length === 0) return;
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(
        `${describeWrapper(wrapper)} is request-scoped (or depends on a request-scoped provider): ` +
          `its @Cached methods (${names(found)}) are not cached`,
      );
      return;
    }
    const instances = wrapper.isTransient
      ? wrapper.getStaticTransientInstances().map((perContext) => perContext?.instance)
      : [wrapper.instance];
    for (const instance of instances) {
      if (typeof instance !== 'object' || instance === null || wrapped.has(instance)) continue;
      // A value provided under several tokens must be wrapped once, or calls would cache twice.
      wrapped.add(instance);
      this.wrapInstance(instance, found);
    }
  }

  private wrapInstance(instance: object, found: readonly FoundMethod[]): void {
    const className = instance.constructor.name;
    for (const { name, original, metadata } of found) {
      Object.defineProperty(instance, name, {
        value: this.cache.wrap(instance, className, name, original, metadata),
        configurable: true,
        writable: true,
        enumerable: false,
      });
    }
  }

  /** Decorated methods on the provider's prototype chain. */
  private findCachedMethods(wrapper: InstanceWrapper): FoundMethod[] {
    const prototype = prototypeOf(wrapper);
    if (prototype === undefined) return [];
    const found: FoundMethod[] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const original: unknown = (prototype as Record<string, unknown>)[name];
      const metadata = readCachedMetadata(original);
      if (metadata && typeof original === 'function') {
        found.push({ name, original: original as FoundMethod['original'], metadata });
      }
    }
    return found;
  }
}

/**
 * The prototype whose methods a provider has: its class's for class providers (also when no
 * instance exists, as for request-scoped ones), the instance's for value and factory providers.
 */
function prototypeOf(wrapper: InstanceWrapper): object | undefined {
  if (!wrapper.isFactory && typeof wrapper.metatype === 'function') {
    return wrapper.metatype.prototype as object;
  }
  const instance: unknown = wrapper.instance;
  if (typeof instance !== 'object' || instance === null) return undefined;
  return Object.getPrototypeOf(instance) as object;
}

function describeWrapper(wrapper: InstanceWrapper): string {
  return typeof wrapper.token === 'function' ? wrapper.token.name : String(wrapper.token);
}

function names(found: readonly FoundMethod[]): string {
  return found.map((method) => method.name).join(', ');
}
