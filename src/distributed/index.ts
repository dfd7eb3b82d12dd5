/**
 * odeflow/distributed: ensembles on many machines through a BullMQ job queue on Redis.
 *
 * `distributeEnsemble(options, { connection, chunkSize })` splits an ensemble into jobs and
 * merges the results into the `EnsembleSolution` that `solveEnsemble(options)` returns, bit for
 * bit; `startEnsembleWorker({ connection, concurrency })` (or `odeflow worker --redis …`) solves
 * jobs on any machine. BullMQ (and ioredis, its Redis client) are optional peer dependencies:
 * install them to use this entry point; the core `odeflow` entry needs neither.
 *
 * @packageDocumentation
 */
export { autoChunkSize, distributeEnsemble, TARGET_JOB_MS, type DistributeOptions, type DistributedProgress } from "./client.js";
export { startEnsembleWorker, type EnsembleWorkerOptions, type EnsembleWorkerHandle } from "./worker.js";
export { DEFAULT_QUEUE } from "./jobs.js";
