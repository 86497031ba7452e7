import test from 'ava';
import { bytesResponse, responseParts, setHeader } from '../../core/complete-body.js';

const hello = () => new TextEncoder().encode('hello');

test('a bytes response is a Response whose status, headers and bytes adapters get as parts, without building it', async (t) => {
  const bytes = hello();
  const response = bytesResponse(bytes, { status: 201, statusText: 'Made', headers: [['X-A', ' 1 '], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']] });
  t.true(response instanceof Response);
  t.is(response.constructor, Response);
  t.is(response.status, 201);
  t.is(response.statusText, 'Made');
  t.true(response.ok);
  t.is(response.type, 'default');
  t.is(response.url, '');
  t.false(response.redirected);
  t.false(response.bodyUsed);
  t.deepEqual(responseParts(response), { status: 201, statusText: 'Made', headers: [['x-a', '1'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']], bytes });
  setHeader(response, 'X-A', '2');
  t.deepEqual(responseParts(response)?.headers, [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-a', '2']], 'set replaces every earlier value');
  t.is(Object.prototype.toString.call(response), '[object Response]');
});

test('once built, the real response is the truth: header changes through it are in the parts', async (t) => {
  const response = bytesResponse(hello(), { headers: { 'content-type': 'text/plain' } });
  t.is(response.headers.get('content-type'), 'text/plain');
  response.headers.set('x-hook', 'yes');
  setHeader(response, 'x-kernel', 'too');
  t.deepEqual(responseParts(response)?.headers, [['content-type', 'text/plain'], ['x-hook', 'yes'], ['x-kernel', 'too']]);
  t.is(response.headers.get('x-kernel'), 'too');
  t.is(await response.clone().text(), 'hello', 'clone() reads the same bytes');
  t.false(response.bodyUsed);
  t.truthy(responseParts(response), 'cloning left the body unread');
});

test('once its body was read there are no parts (the stream is the truth); other responses have none', async (t) => {
  const response = bytesResponse(hello());
  t.is(await response.text(), 'hello');
  t.true(response.bodyUsed);
  t.is(responseParts(response), undefined);
  t.is(responseParts(new Response('plain')), undefined);
});

test('it can be read, re-wrapped and cloned like any Response', async (t) => {
  const response = bytesResponse(hello(), { status: 202, headers: [['x-a', '1']] });
  const copy = new Response(response.body, response);
  t.is(copy.status, 202);
  t.is(copy.headers.get('x-a'), '1');
  t.is(await copy.text(), 'hello');
  t.deepEqual(new Uint8Array(await bytesResponse(hello()).arrayBuffer()), hello());
  t.deepEqual(await bytesResponse(new TextEncoder().encode('{"a":1}')).json(), { a: 1 });
});

test('what new Response() refuses is refused when the bytes response is made', (t) => {
  const bytes = hello();
  for (const init of [{ status: 204 }, { status: 600 }, { status: 199 }, { statusText: 'bad\n' }, { headers: [['bad name', 'x']] }, { headers: [['x', 'a\r\nb']] }, { headers: [['x', 'ĀĀ']] }] as ResponseInit[]) {
    const native = t.throws(() => new Response(bytes, init));
    const lazy = t.throws(() => bytesResponse(bytes, init));
    t.is(lazy?.constructor, native?.constructor, JSON.stringify(init));
  }
});

test('a bytes response shows the same members as a Response, and nothing more', (t) => {
  const members = (response: Response) => {
    const names: string[] = [];
    for (const name in response) names.push(name);
    return names.sort();
  };
  const response = bytesResponse(hello());
  t.deepEqual(members(response), members(new Response('')));
  t.deepEqual(Object.keys(response), []);
  t.deepEqual(Object.getOwnPropertySymbols(response), []);
  t.truthy(responseParts(response), 'listing members built nothing');
});

test('text(), json() and arrayBuffer() read the bytes once, without building the response, and as a Response would', async (t) => {
  const response = bytesResponse(new TextEncoder().encode('\ufeff{"a":1}'));
  t.is(await response.text(), '{"a":1}', 'the UTF-8 BOM is stripped, as by the Fetch standard');
  t.true(response.bodyUsed);
  await t.throwsAsync(response.text(), { instanceOf: TypeError });
  await t.throwsAsync(response.arrayBuffer(), { instanceOf: TypeError });
  t.throws(() => response.clone(), { instanceOf: TypeError }, 'a clone of a read response is refused, as for any Response');
  t.true(response.body === null || response.bodyUsed, 'the real response, built now, is read too');
  const bytes = hello();
  const buffer = await bytesResponse(bytes).arrayBuffer();
  new Uint8Array(buffer).fill(0);
  t.deepEqual(bytes, hello(), 'arrayBuffer() is a copy');
});
