// The child's line to its parent for bindings: lists and method calls go up, answers come back by call number.
import type { AppBinding } from '../../../core/bindings.js';
import type { Deployment } from '../../../core/deployment.js';
import type { Plugin } from '../../../core/plugin.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import type { ToChild, ToParent } from './protocol.js';
import { fromWire } from './wire-error.js';

type Answer = Extract<ToChild, { t: 'bindings-answer' | 'call-answer' }>;

export class ParentLink {
  private readonly calls = new Map<number, (answer: Answer) => void>();
  private nextCall = 1;

  constructor(private readonly send: (message: ToParent) => void) {}

  /** The plugin that gives each isolate in this child the bindings the parent collects for its app. */
  plugin(): Plugin {
    return {
      name: 'hangar:parent-bindings',
      apply: (runtime: EdgeRuntime) => {
        runtime.hooks.bindings.tapPromise('hangar:parent-bindings', async (list, { deployment }) => [...list, ...(await this.bindings(deployment))]);
      },
    };
  }

  answer(message: Answer): void {
    const settle = this.calls.get(message.call);
    this.calls.delete(message.call);
    settle?.(message);
  }

  private ask(message: (call: number) => ToParent): Promise<Answer> {
    const call = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(call, resolve);
      try {
        this.send(message(call));
      } catch (error) {
        // Arguments that cannot be serialized (a function, say) fail the call, as a bad copy does inline.
        this.calls.delete(call);
        reject(error);
      }
    });
  }

  private async bindings(deployment: Deployment): Promise<AppBinding[]> {
    const answer = await this.ask((call) => ({ t: 'bindings', call, app: deployment.app, deploymentId: deployment.id }));
    if (answer.t !== 'bindings-answer') throw new TypeError('the parent answered a bindings request with something else');
    if (!answer.ok) throw fromWire(answer.error);
    const { handle } = answer;
    return answer.bindings.map((binding, index) => ({
      ...binding,
      methods: Object.fromEntries(binding.methods.map((method) => [method, (...args: unknown[]) => this.call(handle, index, method, args)])),
    }));
  }

  private async call(handle: number, index: number, method: string, args: unknown[]): Promise<unknown> {
    const answer = await this.ask((call) => ({ t: 'call', call, handle, index, method, args }));
    if (answer.t !== 'call-answer') throw new TypeError('the parent answered a binding call with something else');
    if (answer.ok) return answer.value;
    throw Object.assign(new Error(answer.message), { name: answer.name });
  }
}
