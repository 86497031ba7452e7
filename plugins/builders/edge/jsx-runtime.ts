// The JSX runtime bundled into edge apps (as `hangar/jsx-runtime`): elements render to HTML strings for a Response.
// It runs inside the isolate, so it imports nothing.

/** Rendered, already-escaped HTML. A String, so `new Response(<p>hi</p>)` sends the markup. */
export class Html extends String {}

type Child = Html | string | number | boolean | null | undefined | Child[];
type Props = Record<string, unknown> & { children?: Child };
type Component = (props: Props) => Html;

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RENAMED: Record<string, string> = { className: 'class', htmlFor: 'for' };
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function renderChildren(child: Child): string {
  if (child === null || child === undefined || typeof child === 'boolean') return '';
  if (Array.isArray(child)) return child.map(renderChildren).join('');
  return child instanceof Html ? child.toString() : escape(String(child));
}

function styleText(style: Record<string, unknown>): string {
  return Object.entries(style)
    .filter(([, v]) => v !== null && v !== undefined && v !== false)
    .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:${String(v)}`)
    .join(';');
}

function attributes(props: Props): string {
  let out = '';
  for (const [key, value] of Object.entries(props)) {
    if (key === 'children' || key === 'dangerouslySetInnerHTML' || key === 'key' || value === null || value === undefined || value === false || typeof value === 'function') continue;
    const name = RENAMED[key] ?? key;
    if (value === true) out += ` ${name}`;
    else out += ` ${name}="${escape(key === 'style' && typeof value === 'object' ? styleText(value as Record<string, unknown>) : String(value))}"`;
  }
  return out;
}

export function jsx(type: string | Component, props: Props): Html {
  if (typeof type === 'function') return type(props);
  const inner = props.dangerouslySetInnerHTML as { __html?: string } | undefined;
  const open = `<${type}${attributes(props)}>`;
  if (VOID.has(type)) return new Html(open);
  return new Html(`${open}${inner?.__html ?? renderChildren(props.children)}</${type}>`);
}

export const jsxs = jsx;
export const jsxDEV = jsx;

export function Fragment(props: Props): Html {
  return new Html(renderChildren(props.children));
}
