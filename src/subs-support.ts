/**
 * The core's access to several outputs in one solve (`new SaveAt({ subs })`), installed by the
 * module of `SubSaveAt` when it loads: a program can only ask for several outputs by making a
 * SubSaveAt, so one that never does (a bundle of diffeqsolve alone) does not carry their code,
 * and one that does gets it through the SubSaveAt it made.
 */
import type { Saver } from "./integrate/output.js";
import type { OutputSpec, SaveAtOptions } from "./saveat.js";
import type { SubSaveAt, SubSolution } from "./subs.js";

/** What the core needs from the module of SubSaveAt. */
export interface SubsSupport {
  /**
   * The `subs` of `new SaveAt(options)`, checked and frozen; undefined when they are not a
   * non-empty array of SubSaveAt (the SaveAt then says what it needs). Throws when the options of
   * one output are given beside them.
   */
  check(options: SaveAtOptions): readonly SubSaveAt[] | undefined;
  /** The output times of all subs, sorted (the times a solver with a coarse interpolant lands on). */
  outputTimes(subs: readonly OutputSpec[]): Float64Array;
  /** One SubSolution per saver (`cut` copies or views the saver's rows). */
  solutions(savers: readonly Saver[], cut: <T extends Float64Array>(a: T, length: number) => T): SubSolution[];
  /** The SubSolutions of the `subs` of a Solution's JSON (`f64` reads an array of numbers, named `k` in messages). */
  fromJSON(data: readonly unknown[], f64: (v: unknown, k: string) => Float64Array): SubSolution[];
}

let installed: SubsSupport | null = null;

/** @internal Called once by src/subs.ts. */
export function installSubsSupport(support: SubsSupport): void {
  installed = support;
}

/** The support of several outputs, or null when no SubSaveAt was ever made (src/subs.ts not loaded). */
export function subsSupport(): SubsSupport | null {
  return installed;
}
