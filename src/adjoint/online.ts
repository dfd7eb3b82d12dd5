/**
 * Online checkpointing, for when the number of steps is not known in advance (adaptive steps):
 * which step-start states to keep during the forward solve, within a fixed number of slots.
 *
 * The algorithm is Wang, Moin & Iaccarino's dynamic checkpointing: each checkpoint has a level;
 * the initial state has level ∞ and is never dropped. A new state takes a free slot at level 0.
 * With every slot taken, the latest checkpoint whose level is lower than that of some later
 * checkpoint is "dispensable": it is dropped and the new state stored at level 0. When none is
 * dispensable, the latest checkpoint (level l) is dropped and the new state stored at level l + 1.
 * The levels spread the kept states out roughly as binomial checkpointing would place them had
 * the count been known; the reverse sweep then runs revolve between consecutive kept states.
 *
 * Reference: Q. Wang, P. Moin and G. Iaccarino, "Minimal repetition dynamic checkpointing
 * algorithm for unsteady adjoint calculation", SIAM J. Sci. Comput. 31(4), 2549–2567, 2009.
 */

/** Positions (step indices), levels and slots of the kept checkpoints, in increasing position. */
export class DynamicCheckpoints {
  /** Number of checkpoints kept now. */
  count = 0;
  /** Step index of each kept checkpoint (state at the start of that step). */
  positions: Int32Array;
  /** Its level (∞ for the initial state). */
  levels: Float64Array;
  /** Its storage slot. */
  slots: Int32Array;

  constructor(capacity: number) {
    this.positions = new Int32Array(Math.max(capacity, 4));
    this.levels = new Float64Array(Math.max(capacity, 4));
    this.slots = new Int32Array(Math.max(capacity, 4));
  }

  /**
   * Decides for the state at step index `i` (called for i = 0, 1, 2, … in order) given the
   * current `capacity`: returns the slot to store it in, or −1 to skip it. `freeSlot()` supplies
   * a slot when the count is below capacity; a dropped checkpoint's slot is reused.
   */
  place(i: number, capacity: number, freeSlot: () => number): number {
    const n = this.count;
    if (n === 0) return this.append(i, Infinity, freeSlot());
    if (n < capacity) return this.append(i, 0, freeSlot());
    if (n === 1) return -1; // only the initial state fits
    const levels = this.levels;
    // The latest dispensable checkpoint: level below the highest level after it.
    let maxLater = -1;
    for (let k = n - 1; k >= 1; k--) {
      const lv = levels[k]!;
      if (lv < maxLater) {
        const slot = this.slots[k]!;
        this.remove(k);
        return this.append(i, 0, slot);
      }
      if (lv > maxLater) maxLater = lv;
    }
    const last = n - 1;
    const slot = this.slots[last]!;
    const level = levels[last]! + 1;
    this.remove(last);
    return this.append(i, level, slot);
  }

  /** Keeps the state at `position` (after every kept one) in `slot`, at `level`; returns the slot. */
  append(position: number, level: number, slot: number): number {
    if (this.count === this.positions.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (m: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.positions = grow(this.positions);
      this.levels = grow(this.levels);
      this.slots = grow(this.slots);
    }
    const k = this.count++;
    this.positions[k] = position;
    this.levels[k] = level;
    this.slots[k] = slot;
    return slot;
  }

  /**
   * Drops the checkpoint of sorted index `k` and keeps the state at `position` (after every kept
   * one) at `level` in its slot; returns the slot. Used by the Stumm–Walther phase.
   */
  replace(k: number, position: number, level: number): number {
    const slot = this.slots[k]!;
    this.remove(k);
    return this.append(position, level, slot);
  }

  /** Sets every level but the initial state's (∞) to `level`: the hand-over from another schedule. */
  setLevels(level: number): void {
    for (let k = 1; k < this.count; k++) this.levels[k] = level;
  }

  private remove(k: number): void {
    for (let m = k; m < this.count - 1; m++) {
      this.positions[m] = this.positions[m + 1]!;
      this.levels[m] = this.levels[m + 1]!;
      this.slots[m] = this.slots[m + 1]!;
    }
    this.count--;
  }
}
