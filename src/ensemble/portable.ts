/**
 * An ensemble solved somewhere else, range by range: what a job queue (odeflow/distributed, or
 * any other) needs from the core. `planEnsemble(options)` checks the options as `solveEnsemble`
 * does and turns the problem into plain data ({@link EnsembleProblem}: the vector field as a
 * module URL or compiled source, the solver by class name); `plan.inputs(start, end)` gives the
 * y0 and args of a range; `solveEnsembleRange(problem, inputs)` solves that range wherever it
 * runs; `plan.accept(part)` stores the result, and `plan.solution()` is the `EnsembleSolution`
 * (reduction and `throw` included) that `solveEnsemble` would have returned, bit for bit: every
 * trajectory is the same computation on the same y0 and args, whichever process does it.
 *
 * A range may be solved twice (a worker that died after finishing, a job retried): the second
 * copy must carry the same bits, and `accept` checks that it does (different bits mean workers
 * run different odeflow builds; they are refused loudly, never silently mixed).
 */
import { type EnsembleBaseOptions, ensembleTerms, type PreparedEnsemble, prepareEnsemble, prepareTrusted } from "./options.js";
import { type PackedArgs, packArgs, unpackArgs } from "./packed-args.js";
import { createSerialWorkspace, runTrajectories } from "./serial.js";
import { allocateStorage, type EnsembleSolution, type EnsembleStorage, type StorageShape } from "./solution.js";
import { checkEnsembleOptions, type EnsembleOptions, finish, importModule, saveWidth, shapeOf } from "./solve.js";
import { describeProblem, descriptorKey, type ProblemDescriptor, rebuildOptions } from "./transfer.js";

/** The version of the ensemble data format; a range from another format is refused. */
export const ENSEMBLE_FORMAT = 1;

/**
 * The problem of a planned ensemble, as plain data (structured-cloneable; JSON once its typed
 * arrays are encoded): the same for every range.
 */
export interface EnsembleProblem {
  readonly format: number;
  /** Equal problems have equal keys (a worker keeps what it rebuilt under it). */
  readonly key: string;
  readonly descriptor: ProblemDescriptor;
  /** State length. */
  readonly n: number;
  readonly shape: Omit<StorageShape, "N" | "variableRows">;
}

/** The y0 and args of trajectories [start, end). */
export interface EnsembleInputs {
  readonly start: number;
  readonly end: number;
  /** (end − start) × n initial states. */
  readonly y0s: Float64Array;
  readonly args: PackedArgs;
}

/**
 * Trajectories [start, end), solved: their slices of the packed outputs (the arrays of
 * {@link EnsembleStorage} for those trajectories), and where failed ones stopped.
 */
export interface EnsemblePart extends Omit<EnsembleStorage, "rowStart"> {
  readonly start: number;
  readonly end: number;
  /** [trajectory, where it failed] for each failed trajectory. */
  readonly failures: readonly (readonly [number, string])[];
}

const PART_ARRAYS = ["ts", "ys", "counts", "results", "tFinal", "numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals", "outputs"] as const;

/** Per trajectory, how many entries each packed array holds. */
function perTrajectory(shape: EnsembleProblem["shape"]): Record<(typeof PART_ARRAYS)[number], number> {
  const K = shape.rowsPerTrajectory;
  return {
    ts: K, ys: K * shape.size, counts: 1, results: 1, tFinal: 1, numSteps: 1, numAcceptedSteps: 1, numRejectedSteps: 1, numFnEvals: 1,
    outputs: shape.outputWidth,
  };
}

/**
 * An ensemble planned for solving elsewhere: inputs per range, the results gathered as they come.
 * Made by {@link planEnsemble}.
 */
export class EnsemblePlan<R = unknown> {
  /** Number of trajectories N. */
  readonly trajectories: number;
  /** The problem, as plain data: the same for every range. */
  readonly problem: EnsembleProblem;
  private readonly p: PreparedEnsemble;
  private readonly storage: EnsembleStorage;
  private readonly shape: StorageShape;
  private readonly details = new Map<number, string>();
  /** 1 for each trajectory accepted. */
  private readonly have: Uint8Array;
  private remaining: number;

  /** @internal Built by {@link planEnsemble}. */
  constructor(p: PreparedEnsemble, descriptor: ProblemDescriptor) {
    this.p = p;
    this.trajectories = p.N;
    this.shape = shapeOf(p, saveWidth(p));
    const { rowsPerTrajectory, size, outputWidth } = this.shape;
    this.problem = { format: ENSEMBLE_FORMAT, key: descriptorKey(descriptor), descriptor, n: p.n, shape: { rowsPerTrajectory, size, outputWidth } };
    this.storage = allocateStorage(this.shape, false);
    this.have = new Uint8Array(p.N);
    this.remaining = p.N;
  }

  private checkRange(start: number, end: number, what: string): void {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= this.trajectories)) {
      throw new RangeError(`${what}: the range [${start}, ${end}) is not within the ensemble's ${this.trajectories} trajectories (0 ≤ start < end ≤ N).`);
    }
  }

  /** The y0 and args of trajectories [start, end). */
  inputs(start: number, end: number): EnsembleInputs {
    this.checkRange(start, end, "plan.inputs(start, end)");
    const n = this.p.n;
    return {
      start,
      end,
      y0s: this.p.y0s.slice(start * n, end * n),
      args: packArgs(this.p.args.slice(start, end), !this.p.argsPerTrajectory, false),
    };
  }

  /** Trajectories not accepted yet. */
  get pending(): number {
    return this.remaining;
  }

  /** The ranges not accepted yet, in order. */
  missing(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.trajectories; i++) {
      if (this.have[i] === 1) continue;
      let j = i + 1;
      while (j < this.trajectories && this.have[j] === 0) j++;
      out.push([i, j]);
      i = j;
    }
    return out;
  }

  /**
   * Stores a solved range. A trajectory accepted before must come with the same bits (else a
   * RangeError says which: the workers do not run the same computation).
   */
  accept(part: EnsemblePart): void {
    const { start, end } = part;
    this.checkRange(start, end, "plan.accept(part)");
    const count = end - start;
    const per = perTrajectory(this.shape);
    for (const key of PART_ARRAYS) {
      const got = part[key] as ArrayLike<number> | undefined;
      if (got === undefined || got.length !== count * per[key]) {
        throw new RangeError(`plan.accept(part): part.${key} holds ${got?.length ?? "nothing"} numbers; trajectories [${start}, ${end}) need ${count * per[key]}.`);
      }
    }
    let seen = 0;
    for (let i = start; i < end; i++) {
      if (this.have[i] === 1) {
        this.compare(part, i, per);
        seen++;
      }
    }
    for (const key of PART_ARRAYS) {
      const into = this.storage[key] as unknown as { set(a: ArrayLike<number>, at: number): void };
      const from = part[key] as unknown as ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> };
      const m = per[key];
      // The common case, a range not seen before, is one copy per array.
      if (seen === 0) into.set(from, start * m);
      else for (let i = start; i < end; i++) if (this.have[i] === 0) into.set(from.subarray((i - start) * m, (i - start + 1) * m), i * m);
    }
    for (const [i, detail] of part.failures) if (i >= start && i < end && this.have[i] === 0) this.details.set(i, detail);
    for (let i = start; i < end; i++) {
      if (this.have[i] === 0) {
        this.have[i] = 1;
        this.remaining--;
      }
    }
  }

  private compare(part: EnsemblePart, i: number, per: Record<(typeof PART_ARRAYS)[number], number>): void {
    for (const key of PART_ARRAYS) {
      const a = this.storage[key] as ArrayLike<number>;
      const b = part[key] as ArrayLike<number>;
      const m = per[key];
      for (let k = 0; k < m; k++) {
        if (!Object.is(a[i * m + k], b[(i - part.start) * m + k])) {
          throw new RangeError(
            `plan.accept(part): trajectory ${i} came back twice with different ${key} (${a[i * m + k]} and ${b[(i - part.start) * m + k]}); ` +
              "every worker must run the same odeflow build on the same kind of platform.",
          );
        }
      }
    }
  }

  /**
   * The EnsembleSolution, once every trajectory is in: the same as `solveEnsemble`'s (mode
   * "distributed"), with the reduction, and a SolveError when `throw: true` and one failed.
   */
  solution(): EnsembleSolution<R> {
    if (this.remaining > 0) {
      const m = this.missing();
      throw new Error(`plan.solution(): ${this.remaining} of ${this.trajectories} trajectories are not in yet (first missing range [${m[0]![0]}, ${m[0]![1]})).`);
    }
    return finish<R>(this.p, this.storage, this.shape, this.details, "distributed", 1, null);
  }
}

/**
 * Plans an ensemble for solving elsewhere (another process, machine or job queue): the options
 * are those of `solveEnsemble` (checked the same way); the vector field must be able to travel
 * (`module`, or a compiled vector field), else a TypeError says why. `threads`, `workers` and
 * `lockstep` say how to run locally and are ignored here.
 *
 * @example
 * ```ts
 * const plan = await planEnsemble({ ...options, trajectories: 10_000 });
 * for (let s = 0; s < plan.trajectories; s += 1000) {
 *   const e = Math.min(plan.trajectories, s + 1000);
 *   plan.accept(await solveEnsembleRange(plan.problem, plan.inputs(s, e))); // anywhere
 * }
 * const sol = plan.solution();   // = await solveEnsemble(options), bit for bit
 * ```
 */
export async function planEnsemble<A = any, R = unknown>(options: EnsembleOptions<A, R>): Promise<EnsemblePlan<R>> {
  checkEnsembleOptions(options);
  const mod = await importModule(options);
  const terms = ensembleTerms(options, mod === null ? undefined : mod[options.module!.vectorField ?? "default"]);
  const p = prepareEnsemble(options, terms);
  if (p.variableRows && p.keepSaved) {
    throw new TypeError("planEnsemble: `SaveAt({ steps })` saves a different number of rows per trajectory, which ranges solved elsewhere cannot return; save at given times, or keep a summary with an `output` hook.");
  }
  const described = describeProblem(options, terms, mod);
  if (!described.ok) throw new TypeError(`planEnsemble: ${described.reason}.`);
  return new EnsemblePlan<R>(p, described.descriptor);
}

/** What a process keeps of the problems it rebuilt (the newest few, by key). */
const rebuilt = new Map<string, Promise<Record<string, unknown>>>();
const modules = new Map<string, Record<string, unknown>>();
const KEEP = 4;

function problemOptions(problem: EnsembleProblem): Promise<Record<string, unknown>> {
  let got = rebuilt.get(problem.key);
  if (got !== undefined) rebuilt.delete(problem.key);
  else got = rebuildOptions(problem.descriptor, modules);
  rebuilt.set(problem.key, got);
  if (rebuilt.size > KEEP) rebuilt.delete(rebuilt.keys().next().value!);
  got.catch(() => rebuilt.delete(problem.key));
  return got;
}

/** Waits for the event loop to turn (timers, I/O, a job queue's lock renewal). */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate !== undefined ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Solves trajectories [inputs.start, inputs.end) of a planned ensemble, in this thread: the bits
 * `solveEnsemble` gives them. A numerical failure is that trajectory's result code; an error the
 * vector field throws rejects, naming the trajectory. With `sliceMs`, the event loop gets a turn
 * about every `sliceMs` milliseconds (a job queue's worker must renew its lock meanwhile).
 *
 * @example
 * ```ts
 * const part = await solveEnsembleRange(plan.problem, plan.inputs(0, 1000), { sliceMs: 100 });
 * ```
 */
export async function solveEnsembleRange(problem: EnsembleProblem, inputs: EnsembleInputs, options: { sliceMs?: number } = {}): Promise<EnsemblePart> {
  if (problem === null || typeof problem !== "object" || problem.format !== ENSEMBLE_FORMAT) {
    throw new TypeError(`solveEnsembleRange: the problem is not an ensemble problem of format ${ENSEMBLE_FORMAT} (made by planEnsemble of this odeflow version); got format ${String((problem as { format?: unknown })?.format)}.`);
  }
  const { start, end } = inputs;
  const count = end - start;
  const n = problem.n;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && count >= 1) || inputs.y0s.length !== count * n) {
    throw new RangeError(`solveEnsembleRange: inputs [${start}, ${end}) with ${inputs.y0s.length} initial values do not fit a state of length ${n}.`);
  }
  const options0 = await problemOptions(problem);
  const args = unpackArgs(inputs.args, count);
  const p = prepareTrusted(options0 as unknown as EnsembleBaseOptions, options0.terms as never, count, n, inputs.y0s, args, start);
  const storage = allocateStorage({ ...problem.shape, N: count, variableRows: false }, false);
  const sw = createSerialWorkspace(p);
  const failures: [number, string][] = [];
  const onFailure = (i: number, detail: string): void => void failures.push([i, detail]);
  const slice = options.sliceMs;
  if (slice === undefined) runTrajectories(p, storage, sw, start, end, onFailure);
  else {
    let i = start;
    let per = 1; // trajectories per slice, grown to fill sliceMs at the rate observed
    while (i < end) {
      const j = Math.min(end, i + per);
      const t = performance.now();
      runTrajectories(p, storage, sw, i, j, onFailure);
      const ms = performance.now() - t;
      per = Math.max(1, Math.min(2 * (j - i) + 16, ms > 0 ? Math.floor(((j - i) * slice) / ms) : 2 * (j - i)));
      i = j;
      if (i < end) await yieldToEventLoop();
    }
  }
  const { ts, ys, counts, results, tFinal, numSteps, numAcceptedSteps, numRejectedSteps, numFnEvals, outputs } = storage;
  return { start, end, ts, ys, counts, results, tFinal, numSteps, numAcceptedSteps, numRejectedSteps, numFnEvals, outputs, failures };
}
