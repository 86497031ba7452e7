import { start } from '../../examples/hono-basic/server.js';
import { exampleSuite } from './example-suite.js';

exampleSuite({
  start,
  tenants: [
    {
      host: 'words.localhost',
      path: '/edge-apps-in-isolates/2024',
      check: (t, reply) => {
        t.deepEqual(JSON.parse(reply.body), { app: 'words', path: '/edge-apps-in-isolates/2024', words: 5, longest: 'isolates' });
      },
    },
    {
      host: 'notes.localhost',
      path: '/today',
      check: (t, reply) => {
        t.regex(reply.body, /<title>Hangar notes<\/title>/);
        t.regex(reply.body, /2 notes, served for \/today/);
      },
    },
  ],
  staticFile: { host: 'notes.localhost', path: '/notes.css', file: new URL('../../examples/hono-basic/apps/notes/public/notes.css', import.meta.url) },
});
