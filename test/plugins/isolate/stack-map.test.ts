import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { LogRecord } from '../../../core/context.js';
import { createRuntime } from '../../../core/create-runtime.js';

test('an app exception is logged with its stack mapped to the original TypeScript file and line', async (t) => {
  const dir = join(await mkdtemp(join(tmpdir(), 'hangar-stack-')), 'mapped');
  await mkdir(dir);
  await writeFile(
    join(dir, 'index.ts'),
    [
      `// The line numbers below are asserted by the test.`,
      `interface Order { id: number; total: number }`,
      ``,
      `function check(order: Order): void {`,
      `  if (order.total < 0) throw new RangeError('negative total');`,
      `}`,
      ``,
      `export default {`,
      `  fetch(): Response {`,
      `    check({ id: 1, total: -5 });`,
      `    return new Response('unreachable');`,
      `  },`,
      `};`,
    ].join('\n'),
  );
  const runtime = await createRuntime({ logger: { level: 'silent' } });
  t.teardown(() => runtime.close());
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  await runtime.deploy(dir);
  const response = await runtime.fetch(new Request('http://mapped.localhost/'));
  t.is(response.status, 500);
  let logged: LogRecord | undefined;
  for (let i = 0; i < 50 && !logged; i++, await new Promise((resolve) => setTimeout(resolve, 20))) {
    logged = records.find((record) => record.app === 'mapped' && record.level === 'error' && typeof record.stack === 'string');
  }
  const stack = String(logged?.stack);
  t.regex(stack, /RangeError: negative total/);
  // check() threw on line 5, called from fetch() on line 10: frames point at index.ts, not at the bundle.
  t.regex(stack, /at check \(app:\/\/mapped\/index\.ts:5:\d+\)/);
  t.regex(stack, /app:\/\/mapped\/index\.ts:10:\d+/);
  t.notRegex(stack, /index\.js:\d+/);
});
