// Conformance: the WPT URL parsing data (../shared/data/wpt/urltestdata.json) run through new URL() inside an isolate.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

const REPO = new URL('../../../', import.meta.url);
/** Beside the repository, never copied into it. */
const DATA = fileURLToPath(new URL('../shared/data/wpt/urltestdata.json', REPO));
/** Measured with this data (869 cases); a lower count is a regression. */
const MEASURED_PASSES = 869;

/** Runs in the isolate: each case's failures, by index, with what was expected and what came out. */
const CHECK = String.raw`
  const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
  const failures = [];
  CASES.forEach((test, index) => {
    let url;
    try {
      url = test.base === null ? new URL(test.input) : new URL(test.input, test.base);
    } catch (error) {
      if (!test.failure || !(error instanceof TypeError)) failures.push({ index, input: test.input, base: test.base, got: 'threw ' + error.name });
      return;
    }
    if (test.failure) {
      failures.push({ index, input: test.input, base: test.base, got: 'parsed as ' + url.href });
      return;
    }
    const wrong = FIELDS.filter((field) => field in test && url[field] !== test[field]).map((field) => field + ': ' + JSON.stringify(url[field]) + ' ≠ ' + JSON.stringify(test[field]));
    if ('searchParams' in test && url.searchParams.toString() !== test.searchParams) wrong.push('searchParams: ' + url.searchParams.toString());
    if (wrong.length) failures.push({ index, input: test.input, base: test.base, got: wrong.join('; ') });
  });
  return { total: CASES.length, failures };
`;

const present = existsSync(DATA);
// Without the data the test shows as skipped, and its title says why.
const run = present ? test : test.skip;
const title = present ? 'new URL() inside an isolate passes the WPT URL parsing data' : `WPT URL conformance (skipped: ${DATA} is absent)`;

run(title, async (t) => {
  const cases = (JSON.parse(readFileSync(DATA, 'utf8')) as unknown[]).filter((entry) => typeof entry === 'object');
  const runtime = isolateRuntime(t, { limits: { wallMs: 30_000, cpuMs: 30_000 } });
  const script = moduleScript(`{ fetch() { const CASES = ${JSON.stringify(cases)}; return Response.json((() => { ${CHECK} })()); } }`);
  const base = await deployScript(runtime, 'wpt-url', script);
  const response = await runtime.fetch(new Request(base));
  t.is(response.status, 200);
  const { total, failures } = (await response.json()) as { total: number; failures: { index: number; input: string; base: string | null; got: string }[] };
  const passed = total - failures.length;
  t.log(`WPT URL: ${passed}/${total} passed (${((passed / total) * 100).toFixed(2)}%)`);
  for (const failure of failures) t.log(`  #${failure.index} ${JSON.stringify(failure.input)} against ${JSON.stringify(failure.base)}: ${failure.got}`);
  t.is(total, cases.length);
  t.true(passed >= MEASURED_PASSES, `${passed} passes, fewer than the ${MEASURED_PASSES} measured before`);
});
