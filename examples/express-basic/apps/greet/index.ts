// A module-style TypeScript tenant app: `export default { fetch }`, configured by the env in its hangar.json.
interface Env {
  GREETING: string;
}

interface Context {
  waitUntil(promise: Promise<unknown>): void;
}

const page = (greeting: string) => `<!doctype html>
<html>
  <head><title>greet</title><link rel="stylesheet" href="/style.css"></head>
  <body><h1>${greeting}</h1><p>Try <code>/api?name=Ada</code>.</p></body>
</html>
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export default {
  async fetch(request: Request, env: Env, _ctx: Context): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? 'world';
    const greeting = `${env.GREETING}, ${name}!`;
    if (url.pathname === '/api') {
      return Response.json({ greeting, letters: name.replace(/[^\p{L}]/gu, '').length, path: url.pathname });
    }
    return new Response(page(escapeHtml(greeting)), { headers: { 'content-type': 'text/html; charset=utf-8' } });
  },
};
