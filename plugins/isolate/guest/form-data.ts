// FormData, per the XHR standard: an ordered list of name/value entries whose values are strings or Files.
import { Blob, File } from './blob.js';

export type FormDataValue = string | File;

interface Entry {
  name: string;
  value: FormDataValue;
}

/** Strings the standard types as USVString: lone surrogates become U+FFFD. */
export function usv(value: unknown): string {
  return (String(value) as string & { toWellFormed(): string }).toWellFormed();
}

function entryValue(method: string, value: unknown, filename: unknown, argc: number): FormDataValue {
  if (!(value instanceof Blob)) {
    if (argc > 2) throw new TypeError(`FormData.${method}: a filename is only allowed with a Blob value`);
    return usv(value);
  }
  if (value instanceof File && filename === undefined) return value;
  const name = filename === undefined ? 'blob' : usv(filename);
  const lastModified = value instanceof File ? value.lastModified : undefined;
  return new File([value], name, { type: value.type, lastModified });
}

class FormData {
  readonly #entries: Entry[] = [];

  constructor(form?: unknown) {
    if (form !== undefined) throw new TypeError('FormData: there are no HTML forms here, so the constructor takes no arguments');
  }

  append(name: unknown, value: unknown, filename?: unknown): void {
    if (arguments.length < 2) throw new TypeError('FormData.append: 2 arguments required');
    this.#entries.push({ name: usv(name), value: entryValue('append', value, filename, arguments.length) });
  }

  set(name: unknown, value: unknown, filename?: unknown): void {
    if (arguments.length < 2) throw new TypeError('FormData.set: 2 arguments required');
    const entry = { name: usv(name), value: entryValue('set', value, filename, arguments.length) };
    const first = this.#entries.findIndex((candidate) => candidate.name === entry.name);
    if (first < 0) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[first] = entry;
    for (let i = this.#entries.length - 1; i > first; i--) if (this.#entries[i]!.name === entry.name) this.#entries.splice(i, 1);
  }

  delete(name: unknown): void {
    const key = usv(name);
    for (let i = this.#entries.length - 1; i >= 0; i--) if (this.#entries[i]!.name === key) this.#entries.splice(i, 1);
  }

  get(name: unknown): FormDataValue | null {
    const key = usv(name);
    return this.#entries.find((entry) => entry.name === key)?.value ?? null;
  }

  getAll(name: unknown): FormDataValue[] {
    const key = usv(name);
    return this.#entries.filter((entry) => entry.name === key).map((entry) => entry.value);
  }

  has(name: unknown): boolean {
    const key = usv(name);
    return this.#entries.some((entry) => entry.name === key);
  }

  forEach(callback: (value: FormDataValue, name: string, parent: FormData) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError('FormData.forEach: the callback must be a function');
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, FormDataValue]> {
    // By index, so entries added or removed while iterating behave as the standard's live iterator does.
    for (let i = 0; i < this.#entries.length; i++) yield [this.#entries[i]!.name, this.#entries[i]!.value];
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<FormDataValue> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, FormDataValue]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'FormData';
  }
}

export { FormData };
