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
  /** The message to publish: `<node> <id> ` followed by the JSON array of keys (or `hello`, see `greet`). */
  prefix: string;
  settled: Promise<void>;
}

/** The message body by which a node that starts listening announces itself, so that nodes writing alone publish again. */
const HELLO = 'hello';

/** How long a node waits before greeting again when its greeting could not be sent. */
const GREET_RETRY_MS = 250;

export class InvalidationBus {
  readonly nodeId = randomUUID();
  private subscriber?: RedisClient;
  private isLive = false;
  private subscribed = false;
  private sequence = 0;
  /**
   * False only after a publish found no other node listening and no node greeted since: untagged writes may then
   * skip the publish. Starts true and goes back to true whenever this node's own subscription changes.
   */
  private peers = true;
  /** Bumped whenever `peers` turns true: what a publish sent in an older era found says nothing about now. */
  private peersEra = 0;
  /** Bumped by each (re)subscription, so an older greeting that ends late does not turn the layer on. */
  private greeting = 0;
  private readonly waiters = new Map<string, Waiter>();
  /** Confirmations not sent yet, by the node that waits for them. */
  private readonly acks = new Map<string, string[]>();

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

  /**
   * True while this node hears the others and knows that none listens: a write then needs no invalidation. A node
   * that starts listening greets first and turns its layer on only once every node confirmed the greeting; a node's
   * confirmation goes out on its command connection after every write it sent before, so none of those is missed.
   */
  get alone(): boolean {
    return this.isLive && !this.peers;
  }

  /** The era to hand to `heardAlone` with what a publish found. */
  get era(): number {
    return this.peersEra;
  }

  /** A publish sent in `era` found no other node listening: until a node greets, writes may skip the publish. */
  heardAlone(era: number): void {
    if (era === this.peersEra) this.peers = false;
  }

  private expectPeers(): void {
    this.peers = true;
    this.peersEra++;
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
    subscriber.on('ready', () => this.subscribed && void this.greet(subscriber));
    return subscriber
      .connect()
      .then(() => Promise.all([subscriber.subscribe(this.channel, (message) => this.onMessage(message)), subscriber.subscribe(this.ackChannel(this.nodeId), (ids) => this.onAcks(ids))]))
      .then(() => {
        this.subscribed = true;
        return this.greet(subscriber);
      })
      .catch((error: unknown) => this.logger.error({ err: error, channel: this.channel }, 'the cache invalidation channel could not be subscribed; in-process copies stay off'));
  }

  /**
   * Announces this node, now subscribed, and goes live once every listening node confirmed. Until then this node
   * keeps no copies, and a node that was writing alone learns that it must publish again.
   */
  private async greet(subscriber: RedisClient): Promise<void> {
    const attempt = ++this.greeting;
    for (;;) {
      const ticket = this.open();
      try {
        await this.confirm(ticket, await this.client.publish(this.channel, `${ticket.prefix}${HELLO}`));
        break;
      } catch {
        // The command connection is down: greet again once it may be back (the layer stays off meanwhile).
        this.cancel(ticket);
        await new Promise((resolve) => setTimeout(resolve, GREET_RETRY_MS).unref());
        if (attempt !== this.greeting || !subscriber.isReady) return;
      }
    }
    if (attempt === this.greeting) this.setLive(subscriber.isReady);
  }

  private setLive(live: boolean): void {
    if (live === this.isLive) return;
    this.isLive = live;
    // Other nodes may have greeted while this one did not listen.
    this.expectPeers();
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
    const body = message.slice(second + 1);
    if (body === HELLO) this.expectPeers();
    else {
      try {
        const keys = JSON.parse(body) as unknown;
        if (Array.isArray(keys)) this.handlers.invalidate(keys.filter((key): key is string => typeof key === 'string'));
      } catch {
        this.handlers.reset();
      }
    }
    this.confirmLater(node, id);
  }

  /**
   * Confirms on the command connection, behind every write this node sent before, so the sender sees them all. The
   * messages one read from the socket brought go out as one confirmation per sender, space-separated ids.
   */
  private confirmLater(node: string, id: string): void {
    const ids = this.acks.get(node);
    if (ids) return void ids.push(id);
    this.acks.set(node, [id]);
    if (this.acks.size === 1) queueMicrotask(() => this.sendAcks());
  }

  private sendAcks(): void {
    for (const [node, ids] of this.acks) this.client.publish(this.ackChannel(node), ids.join(' ')).catch(() => undefined);
    this.acks.clear();
  }

  private onAcks(ids: string): void {
    for (const id of ids.split(' ')) this.onAck(id);
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
