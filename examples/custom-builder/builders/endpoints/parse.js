// Parses the .endpoints format: `[METHOD /path/:param]` sections of `key = value` lines (status, type, body, header.*).

/**
 * @typedef {{ method: string, path: string, status: number, headers: Record<string, string>, body: string, line: number }} Endpoint
 */

/**
 * @param {string} text
 * @param {string} file for error messages
 * @returns {Endpoint[]}
 */
export function parseEndpoints(text, file) {
  const endpoints = [];
  let current;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const at = `${file}:${index + 1}`;
    if (!line || line.startsWith('#')) return;
    const section = /^\[([A-Za-z]+)\s+(\/\S*)\]$/.exec(line);
    if (section) {
      current = { method: section[1].toUpperCase(), path: section[2], status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '', line: index + 1 };
      endpoints.push(current);
      return;
    }
    const pair = /^([A-Za-z][\w.-]*)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new Error(`${at}: expected "[METHOD /path]" or "key = value", got ${JSON.stringify(line)}`);
    if (!current) throw new Error(`${at}: "${pair[1]}" comes before any [METHOD /path] section`);
    const [, key, value] = pair;
    if (key === 'status') {
      const status = Number(value);
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new Error(`${at}: status must be an HTTP status from 200 to 599`);
      current.status = status;
    } else if (key === 'type') current.headers['content-type'] = value;
    else if (key === 'body') current.body = value;
    else if (key.startsWith('header.')) current.headers[key.slice(7).toLowerCase()] = value;
    else throw new Error(`${at}: unknown key "${key}" (use status, type, body or header.<name>)`);
  });
  if (!endpoints.length) throw new Error(`${file}: no endpoints; add a section such as [GET /hello]`);
  return endpoints;
}
