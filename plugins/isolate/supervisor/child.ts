// The entry of an executor child process: runs, inline, the isolates of the apps its parent shards to it, over IPC.
import type { RequestContext } from '../../../core/context.js';
import type { Deployment } from '../../../core/deployment.js';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import type { DispatchTarget, Executor } from '../../../core/executor.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { Lambda } from '../../../core/files/lambda.js';
import { EdgeRuntime } from '../../../core/runtime.js';
import { useBootstrapSource } from '../bootstrap.js';
import { IsolatePlugin } from '../index.js';
import { BodyReceiver, BodySender, deliver } from './body-channel.js';
import { childLogger } from './log-lines.js';
import { Outbox } from './outbox.js';
import { ParentLink } from './parent-link.js';
import type { RequestMessage, ToChild, ToParent } from './protocol.js';
import { toWire } from './wire-error.js';

// A parent that is gone cannot be told anything (and 'disconnect' below ends this process); nor can a message that
// does not serialize be sent, which only app values in binding calls could cause, and those are sent at once.
const outbox = new Outbox<ToParent>(
  (message) => process.connected && process.send!(message),
  (error) => process.stderr.write(`hangar executor process ${process.pid}: a message could not be sent: ${(error as Error).message}\n`),
);
const send = (message: ToParent) => outbox.send(message);

class ChildServer {
  private runtime?: EdgeRuntime;
  private executor?: Executor;
  /** Binding calls carry app values that may not serialize: sent at once, so the call fails, not the batch. */
  private readonly link = new ParentLink((message) => outbox.sendNow(message));
  private readonly targets = new Map<string, Promise<DispatchTarget>>();
  private readonly deployments = new Map<string, Deployment>();
  /** Request bodies arriving from the parent, by request id. */
  private readonly requestBodies = new Map<number, BodyReceiver>();
  /** Response bodies being sent to the parent, by request id. */
  private readonly responseBodies = new Map<number, BodySender>();

  receive(message: ToChild): void {
    switch (message.t) {
      case 'batch':
        for (const each of message.messages) this.receive(each);
        return;
      case 'init':
        void this.init(message);
        return;
      case 'ship':
        this.targets.set(message.key, this.ship(message));
        return;
      case 'release':
        this.release(message.deploymentId);
        return;
      case 'ping':
        outbox.sendNow({ t: 'pong' });
        return;
      case 'request':
        void this.serve(message);
        return;
      case 'chunk':
      case 'end':
      case 'abort':
      case 'credit':
      case 'cancel':
        return deliver(message, this.requestBodies.get(message.id), this.responseBodies.get(message.id));
      case 'bindings-answer':
      case 'call-answer':
        this.link.answer(message);
        return;
    }
  }

  private async init(message: Extract<ToChild, { t: 'init' }>): Promise<void> {
    useBootstrapSource(message.bootstrap);
    const runtime = new EdgeRuntime({
      logger: childLogger((line) => send({ t: 'log', line })),
      limits: message.limits,
      executor: { mode: 'inline', spareIsolates: message.spareIsolates, sameThread: message.sameThread },
      defaultPlugins: false,
    });
    runtime.use(this.link.plugin());
    runtime.use(new IsolatePlugin());
    await runtime.start();
    this.runtime = runtime;
    this.executor = runtime.hooks.executor.call(new Lambda({ files: {}, handler: 'index.js', runtime: 'edge' }));
    send({ t: 'ready' });
  }

  /** A deployment's Lambda, rebuilt from what the parent shipped; `active` says whether the deployment still serves. */
  private async ship(message: Extract<ToChild, { t: 'ship' }>): Promise<DispatchTarget> {
    const { deployment: shipped, lambda: l } = message;
    const lambda = new Lambda({
      files: { [l.handler]: new FileBlob({ data: l.source }) },
      handler: l.handler,
      runtime: 'edge',
      environment: l.environment,
      memory: l.memory,
      maxDuration: l.maxDuration,
      digest: l.digest,
    });
    let deployment = this.deployments.get(shipped.id);
    if (!deployment) {
      deployment = Object.freeze({ ...shipped, hostnames: Object.freeze(shipped.hostnames), output: { [l.path]: lambda }, routes: [], createdAt: Date.now() });
      this.deployments.set(shipped.id, deployment);
    }
    // Tells the isolate plugin the deployment serves (again, after a release): its isolates are kept.
    if (message.active) await this.runtime!.hooks.activate.promise(deployment, undefined);
    return { deployment, lambda, path: l.path };
  }

  /** The parent ships it again if it serves again; its isolates go once their requests finish. */
  private release(deploymentId: string): void {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment) return;
    this.deployments.delete(deploymentId);
    for (const key of this.targets.keys()) if (key.startsWith(`${deploymentId}\0`)) this.targets.delete(key);
    void this.executor?.release(deployment);
  }

  private async serve(message: RequestMessage): Promise<void> {
    const { id } = message;
    const body = message.body ? new BodyReceiver(id, send, () => this.requestBodies.delete(id), message.body) : undefined;
    if (body) this.requestBodies.set(id, body);
    try {
      const target = await this.targets.get(message.key);
      if (!target || !this.executor) throw new HangarError(ErrorCode.INTERNAL, `the executor child was sent a request for ${message.key}, which was not shipped to it`);
      const request = new Request(message.url, { method: message.method, headers: message.headers, body: body?.stream, duplex: 'half' } as RequestInit);
      const response = await this.executor.dispatch(request, target, this.context(message.requestId, request));
      const sender = response.body && new BodySender(id, response.body, send);
      const part = sender && (await sender.ready());
      send({ t: 'head', id, status: response.status, statusText: response.statusText, headers: [...response.headers], body: part });
      if (sender && !part!.done) {
        this.responseBodies.set(id, sender);
        await sender.pump();
        this.responseBodies.delete(id);
      }
    } catch (error) {
      send({ t: 'failed', id, error: toWire(error) });
    }
  }

  logFatal(message: string): void {
    this.runtime?.logger.fatal({ test: true }, message);
  }

  /** The request's context, under the id the parent gave it, so log lines match the parent's. */
  private context(requestId: string, request: Request): RequestContext {
    return this.runtime!.newContext(request, requestId);
  }
}

const server = new ChildServer();
process.on('message', (message: ToChild) => server.receive(message));
// Orphaned (the parent died or closed the channel), or stopped: the isolates go with the process.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
// Tests only: the two ways isolated-vm's catastrophes show: the process aborts from inside (SIGUSR2), or its
// onCatastrophicError handler logs a fatal error (SIGHUP), after which the parent replaces this process.
if (process.env.HANGAR_TEST_HOOKS === '1') {
  process.on('SIGUSR2', () => process.abort());
  process.on('SIGHUP', () => server.logFatal('isolated-vm reported a catastrophic error (a test hook)'));
}
