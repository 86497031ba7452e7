// The benchmark's hello-world handler, served as-is by Hangar (as an app) and by edge-runtime (as its initial code).
addEventListener('fetch', (event) => {
  event.respondWith(new Response('Hello, world!', { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
});
