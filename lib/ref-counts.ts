/**
 * How many holders each key has, with an entry only while it has one: transient bookkeeping (rooms
 * with operations in flight, reserved rooms) that must not outlive its last holder.
 */
export class RefCounts<K> {
  private readonly counts = new Map<K, number>()

  /** Adds a holder; true when it is the key's first. */
  add (key: K): boolean {
    const held = this.counts.get(key) ?? 0
    this.counts.set(key, held + 1)
    return held === 0
  }

  /** Removes a holder; true when it was the key's last (or the key had none). */
  remove (key: K): boolean {
    const left = (this.counts.get(key) ?? 1) - 1
    if (left > 0) this.counts.set(key, left)
    else this.counts.delete(key)
    return left <= 0
  }

  has (key: K): boolean {
    return this.counts.has(key)
  }
}
