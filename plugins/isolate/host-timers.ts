// The host clock behind the guest's setTimeout: one unref'd Node timer per pending guest timer.
export class HostTimers {
  private readonly pending = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly max: number,
    private readonly fire: (id: number) => void,
  ) {}

  set(id: number, delayMs: number): void {
    if (this.pending.size >= this.max) return;
    const handle = setTimeout(() => {
      this.pending.delete(id);
      this.fire(id);
    }, delayMs);
    // An app's timer never keeps the host process alive.
    handle.unref();
    this.pending.set(id, handle);
  }

  clear(id: number): void {
    clearTimeout(this.pending.get(id));
    this.pending.delete(id);
  }

  clearAll(): void {
    for (const handle of this.pending.values()) clearTimeout(handle);
    this.pending.clear();
  }
}
