// Turns an esbuild failure into one E_BUILD_FAILED that says the file, line and column of each error.
import type { Message } from 'esbuild';
import { ErrorCode, HangarError } from '../../../core/errors.js';

function where(message: Message): string {
  const at = message.location;
  return at ? `${at.file}:${at.line}:${at.column + 1}: ` : '';
}

export function bundleError(error: unknown): HangarError {
  const messages = (error as { errors?: Message[] }).errors;
  if (!Array.isArray(messages) || !messages.length) return new HangarError(ErrorCode.BUILD_FAILED, (error as Error).message, { cause: error });
  const lines = messages.map((m) => `${where(m)}${m.text}${m.location?.lineText ? `\n    ${m.location.lineText.trim()}` : ''}`);
  const first = messages[0]!.location;
  return new HangarError(ErrorCode.BUILD_FAILED, lines.join('\n'), {
    cause: error,
    details: first ? { file: first.file, line: first.line, column: first.column + 1 } : {},
  });
}
