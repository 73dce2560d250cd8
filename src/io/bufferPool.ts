/**
 * Reusable buffers for response bodies. A worker reads a frame's body into a buffer, decodes it
 * and hands it to the FrameWriter (which writes it to a file at once); then the buffer goes back here for the next
 * body. Without it every frame left its body (~200 KB) for the garbage collector: the renderer's
 * ArrayBuffer partition held 54-93 MB during a 10,000-frame job, 11-12 MB with it (memory-infra
 * dumps). The peak did not fall with it: collections come less often, and the workers' fetch,
 * stream and IndexedDB objects take the room (their Blink heaps 15 -> 40 MB). What it saves is
 * CPU: 5-8 % more frames/s in the bench.
 */

/** Buffers are allocated in steps of this, so one fits many nearby body sizes. */
const GRAIN = 64 * 1024;

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private freeBytes = 0;

  /** `maxFreeBytes`: buffers given back past this many free bytes are left to the collector. */
  constructor(private readonly maxFreeBytes = 32 * 1024 * 1024) {}

  /**
   * A buffer of at least `size` bytes: the smallest free one that wastes no more than about half
   * of itself, or a new one.
   */
  take(size: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i]!.byteLength;
      if (n >= size && n <= 2 * size + GRAIN && (best < 0 || n < this.free[best]!.byteLength))
        best = i;
    }
    if (best < 0) return new ArrayBuffer(Math.max(1, Math.ceil(size / GRAIN)) * GRAIN);
    const [buffer] = this.free.splice(best, 1);
    this.freeBytes -= buffer!.byteLength;
    return buffer!;
  }

  /** Gives a buffer back. Nothing may use it afterwards; a detached (empty) one is dropped. */
  give(buffer: ArrayBuffer): void {
    if (this.free.includes(buffer)) throw new Error('BufferPool: a buffer was given back twice');
    if (buffer.byteLength === 0 || this.freeBytes + buffer.byteLength > this.maxFreeBytes) return;
    this.free.push(buffer);
    this.freeBytes += buffer.byteLength;
  }

  /** free buffers and their bytes (for tests and diagnostics) */
  get stats(): { buffers: number; bytes: number } {
    return { buffers: this.free.length, bytes: this.freeBytes };
  }
}
