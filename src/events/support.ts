/**
 * The loop's access to the event machinery, installed by the module of `Event` when it loads: a
 * program that never makes an Event does not carry the event detector (a bundle of diffeqsolve
 * alone stays small), and one that does gets it through the Event it passed.
 */
import type { EventDetector, EventLoopView } from "./detector.js";
import type { EventDefinition } from "./types.js";

/** What the loop needs from the event machinery. */
export interface EventSupport {
  /** Whether `x` is an Event. */
  isEvent(x: unknown): x is EventDefinition;
  /** The detector of one validated problem (reusable across its solves). */
  createDetector(events: readonly EventDefinition[], n: number, maxEvents: number, loop?: EventLoopView): EventDetector;
}

let installed: EventSupport | null = null;

/** @internal Called once by src/events/event.ts. */
export function installEventSupport(support: EventSupport): void {
  installed = support;
}

/** The event machinery, or null when no Event was ever made (the module of Event not loaded). */
export function eventSupport(): EventSupport | null {
  return installed;
}
