// Which executor process serves an app: rendezvous hashing of its name, so an app always lands on the same process.

/** FNV-1a with murmur3's finalizer: names that differ in one character still score independently per slot. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The slot in [0, count) with the highest score for the app; changing `count` moves only the apps it must. */
export function shardOf(app: string, count: number): number {
  let best = 0;
  let bestScore = -1;
  for (let slot = 0; slot < count; slot++) {
    const score = hash(`${slot}\0${app}`);
    if (score > bestScore) {
      best = slot;
      bestScore = score;
    }
  }
  return best;
}
