// Redis pub/sub between the nodes sharing a store: each write tells the others which keys to drop, and waits for them to confirm.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisClient } from './stores.js';

/** One invalidation in flight: acks may arrive before Redis tells us how many nodes heard it. */
interface Waiter {
  received: number;
  needed?: number;
  done(): void;
}

export interface Ticket {
  id: string;
  /** The message to publish: `<node> <id> ` followed by the JSON array of keys. */
  prefix: string;
  settled: Promise<void>;
}

export class InvalidationBus {
  readonly nodeId = randomUUID();
  private subscriber?: RedisClient;
  private isLive = false;
  private subscribed = false;
  private sequence = 0;
  private readonly waiters = new Map<string, Waiter>();

  constructor(
    private readonly client: RedisClient,
    readonly channel: string,
    private readonly handlers: {
      /** Another node changed these keys. */
      invalidate(keys: string[]): void;
      /** Messages may have been missed (the subscription dropped or came back): forget everything. */
      reset(): void;
    },
    private readonly logger: Logger,
    private readonly ackTimeoutMs: number,
  ) {}

  /** True while this node hears the others, so its in-process copies can be trusted. */
  get live(): boolean {
    return this.isLive;
  }

  /** Where a node hears the confirmations of its own messages. */
  private ackChannel(node: string): string {
    return `${this.channel}:ack:${node}`;
  }

  /** Subscribes; resolves once subscribed (or once that failed, which is logged and leaves the layer off). */
  start(): Promise<void> {
    const subscriber = (this.subscriber = this.client.duplicate());
    const down = () => this.setLive(false);
    subscriber.on('error', down);
    subscriber.on('reconnecting', down);
    subscriber.on('end', down);
    // node-redis restores subscriptions before it reports ready again.
    subscriber.on('ready', () => this.subscribed && this.setLive(true));
    return subscriber
      .connect()
      .then(() => Promise.all([subscriber.subscribe(this.channel, (message) => this.onMessage(message)), subscriber.subscribe(this.ackChannel(this.nodeId), (id) => this.onAck(id))]))
      .then(() => {
        this.subscribed = true;
        this.setLive(subscriber.isReady);
      })
      .catch((error: unknown) => this.logger.error({ err: error, channel: this.channel }, 'the cache invalidation channel could not be subscribed; in-process copies stay off'));
  }

  private setLive(live: boolean): void {
    if (live === this.isLive) return;
    this.isLive = live;
    this.handlers.reset();
  }

  /** Opens an invalidation: publish `ticket.prefix + JSON keys`, then `confirm` with what PUBLISH answered. */
  open(): Ticket {
    const id = String(++this.sequence);
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    this.waiters.set(id, { received: 0, done });
    return { id, prefix: `${this.nodeId} ${id} `, settled };
  }

  /** Resolves once every node that heard the message (this one included) confirmed it, or after the ack timeout (logged). */
  confirm(ticket: Ticket, receivers: number): Promise<void> {
    const waiter = this.waiters.get(ticket.id);
    if (!waiter) return ticket.settled;
    waiter.needed = receivers;
    if (waiter.received >= waiter.needed) this.finish(ticket.id);
    else {
      const timer = setTimeout(() => {
        if (!this.waiters.has(ticket.id)) return;
        this.logger.warn({ channel: this.channel, confirmed: waiter.received, expected: waiter.needed }, 'cache invalidation: not every node confirmed in time; their in-process copies expire on their own');
        this.finish(ticket.id);
      }, this.ackTimeoutMs);
      timer.unref();
      void ticket.settled.then(() => clearTimeout(timer));
    }
    return ticket.settled;
  }

  /** The write failed: nothing was published. */
  cancel(ticket: Ticket): void {
    this.finish(ticket.id);
  }

  private finish(id: string): void {
    const waiter = this.waiters.get(id);
    this.waiters.delete(id);
    waiter?.done();
  }

  private onMessage(message: string): void {
    const first = message.indexOf(' ');
    const second = first < 0 ? -1 : message.indexOf(' ', first + 1);
    if (second < 0) return;
    const node = message.slice(0, first);
    const id = message.slice(first + 1, second);
    // This node drops its own copies itself (see RedisBackend.publishing): hearing itself only counts as a confirmation.
    if (node === this.nodeId) return this.onAck(id);
    try {
      const keys = JSON.parse(message.slice(second + 1)) as unknown;
      if (Array.isArray(keys)) this.handlers.invalidate(keys.filter((key): key is string => typeof key === 'string'));
    } catch {
      this.handlers.reset();
    }
    this.client.publish(this.ackChannel(node), id).catch(() => undefined);
  }

  private onAck(id: string): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    waiter.received++;
    if (waiter.needed !== undefined && waiter.received >= waiter.needed) this.finish(id);
  }

  async close(): Promise<void> {
    for (const id of [...this.waiters.keys()]) this.finish(id);
    this.isLive = false;
    const subscriber = this.subscriber;
    if (!subscriber?.isOpen) return;
    // QUIT needs a live connection; one that is down is dropped at once.
    if (subscriber.isReady) await subscriber.close().catch(() => subscriber.destroy());
    else subscriber.destroy();
  }
}
