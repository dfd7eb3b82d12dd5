/**
 * The script a pooled worker thread runs (built to dist/ensemble-worker.cjs, a CommonJS script so
 * that a fresh thread loads it without starting Node's ES module loader): it answers ensemble
 * jobs and says when it is ready. It holds the ensemble runner and the solvers, not the rest of
 * the library.
 */
import { parentPort } from "node:worker_threads";
import { runEnsembleWorker } from "./worker.js";

if (parentPort === null) throw new Error("dist/ensemble-worker.cjs is the script of odeflow's ensemble worker threads; it is not run directly.");
runEnsembleWorker(parentPort);
parentPort.postMessage({ type: "ready" });
