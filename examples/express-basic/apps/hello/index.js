// A service-worker style tenant app: every answer is computed inside its isolate from the request.
addEventListener('fetch', (event) => {
  event.respondWith(hello(event.request));
});

/** The n-th Fibonacci number, iteratively: a stand-in for real work done per request. */
function fibonacci(n) {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

async function hello(request) {
  const url = new URL(request.url);
  const n = Math.min(Number(url.searchParams.get('n') ?? 10) || 0, 90);
  const lines = [
    'Hello from the hello app, running in its own V8 isolate.',
    `${request.method} ${url.pathname}`,
    `fibonacci(${n}) = ${fibonacci(n)}`,
  ];
  return new Response(lines.join('\n') + '\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
