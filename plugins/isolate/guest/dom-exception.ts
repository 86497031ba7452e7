// DOMException, per WebIDL: an Error with a name, a message and the legacy numeric code, all read from the prototype.

/** Legacy names in code order (code = index + 1); names without a code are still valid names, with code 0. */
const LEGACY = [
  ['IndexSizeError', 'INDEX_SIZE_ERR'],
  [null, 'DOMSTRING_SIZE_ERR'],
  ['HierarchyRequestError', 'HIERARCHY_REQUEST_ERR'],
  ['WrongDocumentError', 'WRONG_DOCUMENT_ERR'],
  ['InvalidCharacterError', 'INVALID_CHARACTER_ERR'],
  [null, 'NO_DATA_ALLOWED_ERR'],
  ['NoModificationAllowedError', 'NO_MODIFICATION_ALLOWED_ERR'],
  ['NotFoundError', 'NOT_FOUND_ERR'],
  ['NotSupportedError', 'NOT_SUPPORTED_ERR'],
  ['InUseAttributeError', 'INUSE_ATTRIBUTE_ERR'],
  ['InvalidStateError', 'INVALID_STATE_ERR'],
  ['SyntaxError', 'SYNTAX_ERR'],
  ['InvalidModificationError', 'INVALID_MODIFICATION_ERR'],
  ['NamespaceError', 'NAMESPACE_ERR'],
  ['InvalidAccessError', 'INVALID_ACCESS_ERR'],
  [null, 'VALIDATION_ERR'],
  ['TypeMismatchError', 'TYPE_MISMATCH_ERR'],
  ['SecurityError', 'SECURITY_ERR'],
  ['NetworkError', 'NETWORK_ERR'],
  ['AbortError', 'ABORT_ERR'],
  ['URLMismatchError', 'URL_MISMATCH_ERR'],
  ['QuotaExceededError', 'QUOTA_EXCEEDED_ERR'],
  ['TimeoutError', 'TIMEOUT_ERR'],
  ['InvalidNodeTypeError', 'INVALID_NODE_TYPE_ERR'],
  ['DataCloneError', 'DATA_CLONE_ERR'],
] as const;

const CODES = new Map<string, number>();
LEGACY.forEach(([name], index) => name && CODES.set(name, index + 1));

const captureStackTrace = (Error as { captureStackTrace?: (target: object, constructor?: Function) => void }).captureStackTrace;

class DOMException {
  readonly #name: string;
  readonly #message: string;

  constructor(message: unknown = '', options: unknown = 'Error') {
    this.#message = String(message);
    if (typeof options === 'object' && options !== null) {
      const { name, cause } = options as { name?: unknown; cause?: unknown };
      this.#name = name === undefined ? 'Error' : String(name);
      if ('cause' in options) Object.defineProperty(this, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
    } else {
      this.#name = options === undefined ? 'Error' : String(options);
    }
    // After the fields: V8 writes the stack's first line from name and message as the trace is captured.
    captureStackTrace?.(this, DOMException);
  }

  get name(): string {
    return this.#name;
  }

  get message(): string {
    return this.#message;
  }

  get code(): number {
    return CODES.get(this.#name) ?? 0;
  }

  get [Symbol.toStringTag](): string {
    return 'DOMException';
  }
}

// A DOMException is an Error (instanceof, Error.prototype.toString), though its name and message are getters.
Object.setPrototypeOf(DOMException.prototype, Error.prototype);
LEGACY.forEach(([, constant], index) => {
  const descriptor = { value: index + 1, enumerable: true, writable: false, configurable: false };
  Object.defineProperty(DOMException, constant, descriptor);
  Object.defineProperty(DOMException.prototype, constant, descriptor);
});

/** DOMException must be a global before bundled libraries evaluate: web-streams-polyfill looks it up once, at load. */
Object.defineProperty(globalThis, 'DOMException', { value: DOMException, writable: true, configurable: true, enumerable: false });

export { DOMException };
