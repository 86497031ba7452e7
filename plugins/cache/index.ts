// The cache plugin: keyv stores for the cacheStore hook, and each app's tenant cache and Cache API, as bindings in its isolate.
import KeyvSqlite from '@keyv/sqlite';
import type Keyv from 'keyv';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { Plugin } from '../../core/plugin.js';
import type { CacheBackend } from './backend.js';
import { cachesBinding, tenantCacheBindings } from './binding.js';
import { StoreGuard } from './guard.js';
import { HttpCaches } from './http-cache.js';
import { LocalBackend } from './local-backend.js';
import type { LocalLayerOptions } from './local-layer.js';
import { ReadBudget } from './read-budget.js';
import { RedisBackend } from './redis-backend.js';
import { dropIfDown, failureLogOf, openStore, redisClientOf } from './stores.js';
import { TenantCache } from './tenant-cache.js';

export interface CachePluginOptions {
  /** Hand each app its caches: env.CACHE, the `hangar:cache` global and `caches` (default). False: the stores only. */
  bindings?: boolean;
  /** A store call that has not answered by then counts as failed: the app sees a miss. Default 1000 ms. */
  opTimeoutMs?: number;
  /** The in-process layer in front of a Redis store (default 32 MiB, entries up to 64 KiB, kept at most 60 s). */
  layer?: Partial<LocalLayerOptions>;
  /** How long a write on Redis waits for the other nodes to drop their copies. Default 1000 ms. */
  ackTimeoutMs?: number;
}

/** The store namespace that holds tenant cache entries and Cache API responses. */
export const CACHE_NAMESPACE = 'cache';

export class CachePlugin implements Plugin {
  readonly name = 'hangar:cache';
  private runtime?: EdgeRuntime;
  private backendInstance?: CacheBackend;
  private guardInstance?: StoreGuard;
  private readonly tenants = new Map<string, TenantCache>();
  private readonly httpCaches = new Map<string, HttpCaches>();
  private readonly budgets = new Map<string, ReadBudget>();
  private readonly opened: Keyv[] = [];

  constructor(private readonly options: CachePluginOptions = {}) {}

  apply(runtime: EdgeRuntime): void {
    this.runtime = runtime;
    runtime.hooks.cacheStore.tap(this.name, (namespace, url) => {
      const store = openStore(namespace, url, runtime.logger);
      if (store) this.opened.push(store);
      return store;
    });
    if (this.options.bindings !== false) {
      runtime.hooks.bindings.tap(this.name, (bindings, { app }) => [...bindings, ...tenantCacheBindings(this.tenantCache(app)), cachesBinding(this.caches(app))]);
    }
    // Last, so the other plugins can still use their stores while they close; the runtime then disconnects the stores.
    runtime.hooks.close.tapPromise({ name: this.name, stage: 100 }, async () => {
      await this.backendInstance?.close();
      for (const store of this.opened) dropIfDown(store);
    });
  }

  /** The app's key-value cache. */
  tenantCache(app: string): TenantCache {
    let cache = this.tenants.get(app);
    if (!cache) this.tenants.set(app, (cache = new TenantCache(app, this.backend(), this.attached().limits, this.guard(), this.budget(app))));
    return cache;
  }

  /** The app's Cache API (`caches`). */
  caches(app: string): HttpCaches {
    let caches = this.httpCaches.get(app);
    if (!caches) this.httpCaches.set(app, (caches = new HttpCaches(app, this.backend(), this.attached().limits, this.guard(), this.budget(app))));
    return caches;
  }

  /** The app's read budget: one for its tenant cache and its Cache API, whose reads the host answers alike. */
  private budget(app: string): ReadBudget {
    let budget = this.budgets.get(app);
    if (!budget) this.budgets.set(app, (budget = new ReadBudget(app, this.attached().limits.cacheReadBytes)));
    return budget;
  }

  private attached(): EdgeRuntime {
    if (!this.runtime) throw new Error('the cache plugin is used before it was applied to a runtime');
    return this.runtime;
  }

  private guard(): StoreGuard {
    return (this.guardInstance ??= new StoreGuard(failureLogOf(this.attached().cacheStore(CACHE_NAMESPACE), this.attached().logger), this.options.opTimeoutMs ?? 1_000));
  }

  /** Opened on first use, so the store follows `stores.cache` (or `stores.default`) and whichever cacheStore tap serves it. */
  private backend(): CacheBackend {
    if (this.backendInstance) return this.backendInstance;
    const runtime = this.attached();
    const store = runtime.cacheStore(CACHE_NAMESPACE);
    const client = redisClientOf(store);
    if (client) {
      const layer = { maxBytes: 32 * 1024 * 1024, maxEntryBytes: 64 * 1024, maxAgeMs: 60_000, ...this.options.layer };
      return (this.backendInstance = new RedisBackend(store, client, runtime.logger, { layer, ackTimeoutMs: this.options.ackTimeoutMs ?? 1_000, largestValue: runtime.limits.cacheValueBytes }));
    }
    if (!(store.store instanceof Map) && !(store.store instanceof KeyvSqlite)) {
      runtime.logger.warn('the cache store is neither memory, SQLite nor Redis: tags and byte limits are tracked in this process only, so share it with no other process');
    }
    return (this.backendInstance = new LocalBackend(store, runtime.limits));
  }
}
