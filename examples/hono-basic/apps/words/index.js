// A service-worker style tenant app: it counts the words of the request path, inside its own isolate.
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const words = decodeURIComponent(url.pathname).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const longest = words.reduce((best, word) => (word.length > best.length ? word : best), '');
  event.respondWith(
    Response.json({ app: 'words', path: url.pathname, words: words.length, longest }, { headers: { 'cache-control': 'no-store' } }),
  );
});
