// Request ids: random (version 4) UUIDs, each written into one string from a pool of random bytes.
//
// crypto.randomUUID() builds its string from twenty small ones, a measurable share of what a request allocates on
// the host; this writes the 36 characters into a reused buffer and reads them out as one string.
import { randomFillSync } from 'node:crypto';

const IDS_PER_FILL = 256;
const random = Buffer.alloc(16 * IDS_PER_FILL);
const text = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where each of the 16 bytes goes in the text, after the dashes at 8, 13, 18 and 23. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
let used = IDS_PER_FILL;

text[8] = text[13] = text[18] = text[23] = 0x2d;

/** A new random UUID (RFC 9562 version 4), as `crypto.randomUUID()` gives, lowercase. */
export function requestId(): string {
  if (used === IDS_PER_FILL) {
    randomFillSync(random);
    used = 0;
  }
  const offset = 16 * used++;
  for (let i = 0; i < 16; i++) {
    let byte = random[offset + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    text[AT[i]!] = HEX[byte >> 4]!;
    text[AT[i]! + 1] = HEX[byte & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
