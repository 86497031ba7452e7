// hangar-builder-markdown: each Markdown file of a build becomes a static HTML page (Now Runtime API, version 2).
import { FileBlob, streamToBuffer } from 'hangar';
import { escapeHtml, markdownToHtml } from './markdown.js';

/** Version 2: build() answers a map of output paths to Files. */
export const version = 2;

/**
 * @param {import('hangar').BuildOptions} options
 * @returns {Promise<import('hangar').BuildResultV2>}
 */
export async function build({ files, entrypoint, config }) {
  const root = typeof config.root === 'string' ? config.root.replace(/\/+$/, '') : '';
  const source = (await streamToBuffer(files[entrypoint].toStream())).toString('utf8');
  const { html, title } = markdownToHtml(source);
  const page = [
    '<!doctype html>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title ?? String(config.title ?? entrypoint))}</title>`,
    typeof config.stylesheet === 'string' ? `<link rel="stylesheet" href="${escapeHtml(config.stylesheet)}">` : '',
    `<main>\n${html}\n</main>`,
    '',
  ].join('\n');
  // pages/guide/intro.md → guide/intro.html (with root "pages"), served at /guide/intro.
  const relative = root && entrypoint.startsWith(`${root}/`) ? entrypoint.slice(root.length + 1) : entrypoint;
  const path = relative.replace(/\.(md|markdown)$/i, '.html');
  return { output: { [path]: new FileBlob({ data: page, contentType: 'text/html; charset=utf-8' }) } };
}

