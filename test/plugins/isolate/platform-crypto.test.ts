// crypto inside an isolate: getRandomValues, randomUUID, and crypto.subtle checked against node:crypto.
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import test from 'ava';
import { inIsolate } from './platform-helpers.js';

const hex = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('hex');
const DATA = 'The quick brown fox jumps over the lazy dog — ünïcödé';
const KEY = 'a secret key of some length';

test('crypto.subtle.digest gives what node:crypto computes, for SHA-1, SHA-256, SHA-384 and SHA-512', async (t) => {
  const { result } = await inIsolate(
    t,
    `const data = new TextEncoder().encode(${JSON.stringify(DATA)});
     const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
     const out = {};
     for (const name of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) out[name] = hex(await crypto.subtle.digest(name, data));
     out.view = hex(await crypto.subtle.digest({ name: 'SHA-256' }, new Uint8Array([0, ...data, 0]).subarray(1, data.length + 1)));
     out.isArrayBuffer = (await crypto.subtle.digest('SHA-256', data)) instanceof ArrayBuffer;
     out.unknown = await crypto.subtle.digest('SHA-7', data).then(() => 'digested', (e) => [e.name, e instanceof DOMException]);
     out.notBytes = await crypto.subtle.digest('SHA-256', 'text').then(() => 'digested', (e) => e.name);
     return out;`,
  );
  const expected = Object.fromEntries(['sha1', 'sha256', 'sha384', 'sha512'].map((name) => [name.replace('sha', 'SHA-'), createHash(name).update(DATA).digest('hex')]));
  t.deepEqual(result, { ...expected, view: expected['SHA-256'], isArrayBuffer: true, unknown: ['NotSupportedError', true], notBytes: 'TypeError' });
});

test('HMAC: importKey raw, sign as node:crypto does, verify the round trip, and export raw and jwk', async (t) => {
  const { result } = await inIsolate(
    t,
    `const enc = new TextEncoder();
     const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
     const key = await crypto.subtle.importKey('raw', enc.encode(${JSON.stringify(KEY)}), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
     const signature = await crypto.subtle.sign('HMAC', key, enc.encode(${JSON.stringify(DATA)}));
     const tampered = new Uint8Array(signature).slice(); tampered[0] ^= 1;
     const jwk = await crypto.subtle.exportKey('jwk', key);
     const fromJwk = await crypto.subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
     const generated = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-512' }, true, ['sign', 'verify']);
     const signOnly = await crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
     const cloned = structuredClone(key);
     return {
       signature: hex(signature),
       verify: await crypto.subtle.verify('HMAC', key, signature, enc.encode(${JSON.stringify(DATA)})),
       tampered: await crypto.subtle.verify('HMAC', key, tampered, enc.encode(${JSON.stringify(DATA)})),
       raw: hex(await crypto.subtle.exportKey('raw', key)),
       jwk: [jwk.kty, jwk.alg, jwk.ext, typeof jwk.k],
       fromJwk: hex(await crypto.subtle.sign('HMAC', fromJwk, enc.encode(${JSON.stringify(DATA)}))),
       cloned: hex(await crypto.subtle.sign('HMAC', cloned, enc.encode(${JSON.stringify(DATA)}))),
       key: [key.type, key.extractable, key.algorithm.name, key.algorithm.hash.name, key.algorithm.length, key.usages, key instanceof CryptoKey],
       generated: [generated.algorithm.hash.name, (await crypto.subtle.exportKey('raw', generated)).byteLength, generated.usages],
       notExtractable: await crypto.subtle.exportKey('raw', fromJwk).then(() => 'exported', (e) => e.name),
       wrongUsage: await crypto.subtle.verify('HMAC', signOnly, signature, enc.encode('x')).then(() => 'verified', (e) => e.name),
     };`,
  );
  const signature = createHmac('sha256', KEY).update(DATA).digest('hex');
  t.deepEqual(result, {
    signature,
    verify: true,
    tampered: false,
    raw: Buffer.from(KEY).toString('hex'),
    jwk: ['oct', 'HS256', true, 'string'],
    fromJwk: signature,
    cloned: signature,
    key: ['secret', true, 'HMAC', 'SHA-256', Buffer.byteLength(KEY) * 8, ['sign', 'verify'], true],
    generated: ['SHA-512', 128, ['sign', 'verify']],
    notExtractable: 'InvalidAccessError',
    wrongUsage: 'InvalidAccessError',
  });
});

test('AES-GCM: what the isolate encrypts, node:crypto decrypts, and the other way round', async (t) => {
  const key = Buffer.alloc(32, 7);
  const iv = Buffer.alloc(12, 3);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const fromHost = Buffer.concat([cipher.update('sealed by the host'), cipher.final(), cipher.getAuthTag()]);
  const { result } = await inIsolate(
    t,
    `const key = await crypto.subtle.importKey('raw', new Uint8Array(32).fill(7), 'AES-GCM', false, ['encrypt', 'decrypt']);
     const iv = new Uint8Array(12).fill(3);
     const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode('sealed in the isolate'));
     const opened = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, new Uint8Array(${JSON.stringify([...fromHost])}));
     return { sealed: Array.from(new Uint8Array(sealed)), opened: new TextDecoder().decode(opened) };`,
  );
  const { sealed, opened } = result as { sealed: number[]; opened: string };
  t.is(opened, 'sealed by the host');
  const bytes = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(bytes.subarray(-16));
  t.is(Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString(), 'sealed in the isolate');
});

test('a CryptoKey shows no host object, cannot be forged, and costly work is bounded', async (t) => {
  const { result } = await inIsolate(
    t,
    `const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
     const forged = Object.create(CryptoKey.prototype);
     const pbkdf2 = await crypto.subtle.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits']);
     return {
       own: [Object.getOwnPropertyNames(key), Object.getOwnPropertySymbols(key).length, JSON.stringify(key)],
       algorithm: Object.getPrototypeOf(key.algorithm) === Object.prototype,
       forged: await crypto.subtle.sign('HMAC', forged, new Uint8Array(1)).then(() => 'signed', (e) => e.name),
       notKey: await crypto.subtle.sign('HMAC', { type: 'secret' }, new Uint8Array(1)).then(() => 'signed', (e) => e.name),
       cheap: (await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 1000 }, pbkdf2, 256)).byteLength,
       costly: await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 10000000 }, pbkdf2, 256).then(() => 'derived', (e) => e.name),
     };`,
  );
  t.deepEqual(result, {
    own: [[], 0, '{}'],
    algorithm: true,
    forged: 'TypeError',
    notKey: 'TypeError',
    cheap: 32,
    costly: 'NotSupportedError',
  });
});

test('getRandomValues fills integer arrays from host entropy, and randomUUID makes distinct version-4 UUIDs', async (t) => {
  const { result } = await inIsolate(
    t,
    `const attempt = (fn) => { try { fn(); return 'filled'; } catch (e) { return [e.name, e instanceof DOMException]; } };
     const a = crypto.getRandomValues(new Uint32Array(64));
     const b = crypto.getRandomValues(new Uint32Array(64));
     const big = crypto.getRandomValues(new Uint8Array(65536));
     const uuids = Array.from({ length: 200 }, () => crypto.randomUUID());
     return {
       same: a === crypto.getRandomValues(a),
       differ: a.some((v, i) => v !== b[i]),
       zeros: a.filter((v) => v === 0).length,
       spread: new Set(big).size,
       quota: attempt(() => crypto.getRandomValues(new Uint8Array(65537))),
       float: attempt(() => crypto.getRandomValues(new Float32Array(4))),
       notView: attempt(() => crypto.getRandomValues([1, 2])),
       uuidsValid: uuids.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u)),
       uuidsDistinct: new Set(uuids).size,
     };`,
  );
  t.deepEqual(result, {
    same: true,
    differ: true,
    zeros: 0,
    spread: 256,
    quota: ['QuotaExceededError', true],
    float: ['TypeMismatchError', true],
    notView: ['TypeError', false],
    uuidsValid: true,
    uuidsDistinct: 200,
  });
});

test('two isolates never get the same random bytes', async (t) => {
  const body = `return Array.from(crypto.getRandomValues(new Uint8Array(32)));`;
  const [first, second] = await Promise.all([inIsolate(t, body), inIsolate(t, body)]);
  t.notDeepEqual(first.result, second.result);
  t.is(hex(Uint8Array.from(first.result as number[])).length, 64);
});
