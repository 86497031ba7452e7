import { start } from '../../examples/express-basic/server.js';
import { exampleSuite } from './example-suite.js';

exampleSuite({
  start,
  tenants: [
    {
      host: 'hello.localhost',
      path: '/some/path?n=20',
      check: (t, reply) => {
        t.regex(reply.body, /^GET \/some\/path$/m);
        t.regex(reply.body, /^fibonacci\(20\) = 6765$/m);
      },
    },
    {
      host: 'greet.localhost',
      path: '/api?name=Ada%20Lovelace',
      check: (t, reply) => {
        t.deepEqual(JSON.parse(reply.body), { greeting: 'Hello, Ada Lovelace!', letters: 11, path: '/api' });
      },
    },
  ],
  staticFile: { host: 'greet.localhost', path: '/style.css', file: new URL('../../examples/express-basic/apps/greet/public/style.css', import.meta.url) },
});
