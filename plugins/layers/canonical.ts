// Layer ids: sha256 of the layer's canonical JSON (RFC 8785), as `sha256-<base64url>`.
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { Layer } from '../../core/layer.js';

// The package is CommonJS with an ESM-style .d.ts; under NodeNext its default import is the module object's default.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export function layerId(layer: Layer): string {
  const text = canonicalize(layer);
  if (text === undefined) throw new TypeError('layer cannot be serialized to canonical JSON');
  return `sha256-${createHash('sha256').update(text).digest('base64url')}`;
}
