/** The types shared by `Event`, its detector and the loop (kept apart so that none imports another in a circle). */

/** Which sign changes of a continuous condition fire, in the direction of integration. */
export type EventDirection = "up" | "down" | "either";

/** One event that fired, as listed in `sol.events`. */
export interface EventRecord {
  /** Index of the event in the `event` option (0 for a single event). */
  readonly index: number;
  /** Time at which it fired. */
  readonly t: number;
  /** The state at the event, before its `affect` ran. */
  readonly y: Float64Array;
}

/** Kind of an event: located inside steps, checked at step ends, or at scheduled times. */
export type EventKind = "continuous" | "discrete" | "scheduled";

/** What the event detector reads of an `Event` (the class implements it). */
export interface EventDefinition {
  readonly cond: ((t: number, y: Float64Array, args: any) => number | boolean) | undefined;
  readonly direction: EventDirection;
  readonly terminal: boolean;
  readonly affect: ((t: number, y: Float64Array, args: any) => void | ArrayLike<number>) | undefined;
  readonly rootTolerance: number;
  readonly kind: EventKind;
  readonly times: Float64Array | undefined;
  readonly interpPoints: number | undefined;
}
