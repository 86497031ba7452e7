import test from 'ava';
import { bytesResponse, completeBody } from '../../core/complete-body.js';

test('a bytes response carries its bytes for adapters, and its stream still reads the same', async (t) => {
  const bytes = new TextEncoder().encode('hello');
  const response = bytesResponse(bytes, { status: 201, headers: { 'x-a': '1' } });
  t.is(completeBody(response), bytes);
  t.is(response.status, 201);
  t.is(response.headers.get('x-a'), '1');
  t.is(await response.clone().text(), 'hello');
});

test('once its stream was read, or for any other response, there are no known bytes', async (t) => {
  const response = bytesResponse(new TextEncoder().encode('x'));
  await response.text();
  t.is(completeBody(response), undefined, 'a consumed body is not written twice');
  t.is(completeBody(new Response('plain')), undefined);
});
