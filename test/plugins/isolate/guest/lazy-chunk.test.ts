// Chunks and lazy classes: loaded on first use, answering as the class once loaded (in Node, with a counted loader).
import test from 'ava';
import { chunk, lazyClass } from '../../../../plugins/isolate/guest/lazy-chunk.js';

class Real {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  twice(): number {
    return this.value * 2;
  }
  static of(value: number): Real {
    return new Real(value);
  }
}
class Sibling {}

interface Exports {
  Real: typeof Real;
  Sibling: typeof Sibling;
}

// The bootstrap wrapper's locals (bootstrap.ts) that lazy-chunk.ts calls: here, globals of this test process.
let loads = 0;
let platformSeen: Record<string, unknown> | undefined;
Object.assign(globalThis, {
  __hangar_idna__: () => undefined,
  __hangar_chunk__: (name: string) => (platform: Record<string, unknown>) => {
    loads++;
    platformSeen = platform;
    return name === 'test' ? { Real: class extends Real {}, Sibling: class extends Sibling {} } : undefined;
  },
});

function fresh(): { Lazy: typeof Real; LazySibling: typeof Sibling; loadsSince: () => number } {
  const from = chunk<Exports>('test');
  const before = loads;
  return { Lazy: lazyClass(from, (exports) => exports.Real), LazySibling: lazyClass(from, (exports) => exports.Sibling), loadsSince: () => loads - before };
}

test('instanceof and typeof do not load the chunk; constructing a class does, once, and hands it the platform', (t) => {
  const { Lazy, loadsSince } = fresh();
  t.is(typeof Lazy, 'function');
  t.false({} instanceof Lazy);
  t.false(new Real(1) instanceof Lazy, 'nothing made before the load is an instance of the lazy class');
  t.is(loadsSince(), 0);
  const made = new Lazy(3);
  t.is(loadsSince(), 1);
  t.is(made.twice(), 6);
  new Lazy(4);
  t.is(loadsSince(), 1);
  t.deepEqual(Object.keys(platformSeen!).sort(), ['TextDecoder', 'TextEncoder', 'globalThis', 'idna']);
});

test('once loaded it answers as the class: prototype, constructor, statics, instanceof and subclassing', (t) => {
  const { Lazy } = fresh();
  const made = new Lazy(2);
  t.is(Object.getPrototypeOf(made), Lazy.prototype);
  t.true(Lazy.prototype instanceof Real);
  t.is(made.constructor, Lazy);
  t.true(made instanceof Lazy);
  t.true(Lazy.of(5) instanceof Real);
  const prototype = Object.getOwnPropertyDescriptor(Lazy, 'prototype')!;
  t.deepEqual([prototype.writable, prototype.configurable, prototype.enumerable], [false, false, false]);
  t.true(Reflect.ownKeys(Lazy).includes('prototype'));
  t.is(Object.getPrototypeOf(Lazy), Real);
  class Sub extends Lazy {
    thrice(): number {
      return this.value * 3;
    }
  }
  const sub = new Sub(2);
  t.true(sub instanceof Sub && sub instanceof Lazy);
  t.deepEqual([sub.twice(), sub.thrice()], [4, 6]);
  t.throws(() => (Lazy as unknown as (value: number) => Real)(1), { instanceOf: TypeError });
});

test('loading the chunk through one class makes its siblings answer as their classes too', (t) => {
  const { Lazy, LazySibling, loadsSince } = fresh();
  new Lazy(1);
  t.is(loadsSince(), 1);
  const sibling = Object.create(LazySibling.prototype) as Sibling;
  t.true(sibling instanceof LazySibling);
  t.is(sibling.constructor, LazySibling);
  t.is(loadsSince(), 1);
});

test('subclassing before the load loads the chunk, and so does reading a prototype', (t) => {
  const { Lazy, loadsSince } = fresh();
  class Early extends Lazy {}
  t.is(loadsSince(), 1);
  t.true(new Early(1) instanceof Lazy);
  const other = fresh();
  t.is(other.Lazy.prototype.twice, Real.prototype.twice);
  t.is(other.loadsSince(), 1);
});

test('a loaded lazy class can be frozen, and then reads as frozen with the class’s own keys', (t) => {
  const { Lazy } = fresh();
  Object.freeze(Lazy);
  t.true(Object.isFrozen(Lazy));
  t.true(Reflect.ownKeys(Lazy).includes('prototype'));
  t.is(new Lazy(2).twice(), 4);
});
