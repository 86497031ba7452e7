// A module-style TypeScript tenant app: an HTML page of notes, titled by the env in its hangar.json, styled by public/.
interface Env {
  TITLE: string;
}

const notes = ['Each tenant app runs in its own V8 isolate.', 'Static files come from public/ with an ETag.'];

export default {
  fetch(request: Request, env: Env): Response {
    const { pathname } = new URL(request.url);
    const items = notes.map((note, i) => `<li id="note-${i + 1}">${note}</li>`).join('');
    const html = `<!doctype html><html><head><title>${env.TITLE}</title><link rel="stylesheet" href="/notes.css"></head>
<body><h1>${env.TITLE}</h1><p>${notes.length} notes, served for ${pathname}</p><ol>${items}</ol></body></html>\n`;
    return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
  },
};
