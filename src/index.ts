/**
 * odeflow: fast differential equation solvers for TypeScript.
 *
 * This file is the only public surface: flat re-exports, one concept per module.
 * @packageDocumentation
 * @module odeflow
 */
export { diffeqsolve, type DiffeqsolveOptions } from "./integrate.js";
export { init, resume, Integrator, type IntegratorSnapshot } from "./integrate/integrator.js";
export { solveAsync, type SolveAsyncOptions } from "./integrate/async.js";
export { Solution, type Stats, type DenseOutput } from "./solution.js";
export { RESULTS, type Result, SolveError, ContractError, ResourceError, isOkay, resultMessage, resultName } from "./results.js";
export { SaveAt, type SaveAtOptions, type SubSaveAtOptions, type SaveFn } from "./saveat.js";
export { SubSaveAt, SubSolution } from "./subs.js";
export { Event, type EventOptions, type EventDirection, type EventKind, type EventRecord } from "./events/event.js";
export {
  AbstractTerm, ODETerm, ControlTerm, MultiTerm, type ControlTermOptions, type NoiseType, type ODETermOptions, type VectorFieldCompilation,
  type VectorField, type VectorFieldFn, type VectorFieldObject, type InPlaceVectorField, type Vec,
} from "./terms.js";
export { Structure, type StateLike, type Structured } from "./tree.js";
export {
  AbstractStepSizeController, type ControllerProblem, type ControllerStart, type ControllerState, type ControllerDescription,
  StepRecord, StepDecision,
} from "./controllers/base.js";
export { ConstantStepSize } from "./controllers/constant.js";
export { StepTo } from "./controllers/stepto.js";
export { PIDController, type PIDControllerOptions, type ErrorNorm } from "./controllers/pid.js";
export { TextProgressMeter, CallbackProgressMeter, type ProgressMeter } from "./progress.js";
export { type AbstractSolver, type SolverState, STEP_OK, STEP_NEWTON_FAILED, STEP_SINGULAR } from "./solvers/solver.js";
export { defineTableau, type Tableau, type TableauSpec } from "./solvers/tableau.js";
export { ExplicitRungeKutta, generateStepSource, type ERKOptions, type ERKState } from "./solvers/erk.js";
export { Euler } from "./solvers/methods/euler.js";
export { Heun } from "./solvers/methods/heun.js";
export { Midpoint } from "./solvers/methods/midpoint.js";
export { Ralston } from "./solvers/methods/ralston.js";
export { Bosh3 } from "./solvers/methods/bosh3.js";
export { Dopri5 } from "./solvers/methods/dopri5.js";
export { Tsit5 } from "./solvers/methods/tsit5.js";
export { Dopri8 } from "./solvers/methods/dopri8.js";
export { Vern7 } from "./solvers/methods/vern7.js";
export { Vern9 } from "./solvers/methods/vern9.js";
export { luFactor, luSolve, complexLuFactor, complexLuSolve } from "./linalg/lu.js";
export { bandLuFactor, bandLuSolve, bandIndex, bandWidth } from "./linalg/banded.js";
export {
  IterationMatrix, type ImplicitOptions, type LinearSolverName, type PreconditionerName, type UserPreconditioner, type KrylovOptions,
} from "./solvers/implicit/iteration-matrix.js";
export { Rosenbrock23, Rodas5P, RodasMethod, RODAS5P_TABLEAU, type RosenbrockTableau, type RosenbrockState } from "./solvers/implicit/rosenbrock.js";
export { philox4x32, normalPair, seedToKey, splitKey } from "./brownian/philox.js";
export { AbstractBrownianPath, type BrownianPathOptions, type LevyArea } from "./brownian/path.js";
export { VirtualBrownianTree, type VirtualBrownianTreeOptions } from "./brownian/virtual_tree.js";
export { UnsafeBrownianPath, type UnsafeBrownianPathOptions } from "./brownian/unsafe_path.js";
export { AbstractSDESolver, type SDEState, type Interpretation, type Diffusion, type BrownianControl } from "./solvers/sde/base.js";
export { EulerMaruyama } from "./solvers/sde/euler_maruyama.js";
export { EulerHeun, type EulerHeunOptions } from "./solvers/sde/euler_heun.js";
export { Milstein, type MilsteinOptions } from "./solvers/sde/milstein.js";
export { SRA1 } from "./solvers/sde/sra1.js";
export { ShARK } from "./solvers/sde/shark.js";
export { solveEnsemble, solveEnsembleSync } from "./ensemble/solve.js";
export { EnsembleSolution, type EnsembleMode } from "./ensemble/solution.js";
export type { EnsembleOptions } from "./ensemble/solve.js";
export type { EnsembleBaseOptions, EnsembleModule, EnsembleOutput, EnsembleOutputFn, EnsembleReduce, EnsembleWorkerLike, PerTrajectory } from "./ensemble/options.js";
export type { LockstepOptions, BatchVectorField } from "./ensemble/lockstep.js";
export { runEnsembleWorker, type WorkerPort } from "./ensemble/worker.js";
export { shutdownEnsembleWorkers, startEnsembleWorkers } from "./ensemble/threads.js";
export { compile, type CompileOptions, type CompiledVectorField } from "./compile/compile.js";
export { CompileError } from "./compile/errors.js";
export { ModelBuilder, Expr, type Operand } from "./compile/builder.js";
export type { ArgsSpec } from "./compile/args.js";
export { BDF, type BDFOptions, type BDFState } from "./solvers/implicit/bdf.js";
export { ImplicitEuler, Kvaerno3, Kvaerno4, Kvaerno5, ESDIRKMethod, type ESDIRKTableau, type ESDIRKState } from "./solvers/implicit/esdirk.js";
export { diffeqsolveVjp, diffeqsolveJvp, type DiffeqsolveVjpOptions, type Adjoint, type JvpTangents, type JvpResult } from "./adjoint/vjp.js";
export { RecursiveCheckpointAdjoint, type RecursiveCheckpointAdjointOptions } from "./adjoint/recursive_checkpoint.js";
export { BacksolveAdjoint, type BacksolveAdjointOptions } from "./adjoint/backsolve.js";
export { ForwardSensitivity } from "./adjoint/forward_sensitivity.js";
export { revolveAdvances } from "./adjoint/revolve.js";
export type { AdjointStats, Gradients, VjpResult } from "./adjoint/outputs.js";
export { KenCarp3, KenCarp4, KenCarp5, AdditiveRungeKutta, type ARKTableau, type ARKState } from "./solvers/implicit/kencarp.js";
export { RadauIIA5, type RadauState } from "./solvers/implicit/radau.js";
export { AutoSwitch, type AutoSwitchOptions, type AutoSwitchState } from "./solvers/implicit/autoswitch.js";
export { RK4 } from "./solvers/methods/rk4.js";
export type { EnsembleMoments } from "./ensemble/solution.js";
export type { WebGPUEnsembleOptions, WebGPUProfile } from "./ensemble/webgpu/types.js";
export type { WebGPUDevice } from "./ensemble/webgpu/types.js";
export { AdditiveNoiseError } from "./solvers/sde/base.js";
export {
  AbstractPartitionedTerm, PartitionedTerm, SecondOrderTerm, type PartitionedTermOptions, type PartVectorField, type Acceleration,
} from "./terms.js";
export { SplittingMethod, defineSplitting, verletComposition, type Splitting, type SplittingSpec, type SplittingState } from "./solvers/symplectic/splitting.js";
export { SemiImplicitEuler } from "./solvers/symplectic/semi_implicit_euler.js";
export { VelocityVerlet } from "./solvers/symplectic/velocity_verlet.js";
export { Yoshida4, Yoshida6 } from "./solvers/symplectic/yoshida.js";
export { McAte4, McAte5 } from "./solvers/symplectic/mclachlan_atela.js";
export { KahanLi8 } from "./solvers/symplectic/kahan_li.js";
export { LeapfrogMidpoint, type LeapfrogMidpointState } from "./solvers/methods/leapfrog_midpoint.js";
export { ReversibleStepSize, type ReversibleStepSizeOptions, type ReversibleState } from "./controllers/reversible.js";
export {
  UnderdampedLangevinDriftTerm, UnderdampedLangevinDiffusionTerm, type LangevinCoefficient, type PotentialGradient,
} from "./terms.js";
export { BAOAB, type BAOABState } from "./solvers/langevin/baoab.js";
export { SRIW1 } from "./solvers/sde/sriw1.js";
export { type Complex, complexState, complexValues } from "./complex.js";
export { ComplexNorm, type ComplexNormState } from "./controllers/complex-norm.js";
export { Float32Steps, FLOAT32_RTOL_FLOOR } from "./solvers/float32.js";
export { complexBandLuFactor, complexBandLuSolve } from "./linalg/banded.js";
export { SparseLU, analyzeSparseLu, type SparseLuSymbolic } from "./linalg/sparse-lu.js";
export { fgmres, GmresWorkspace, GMRES_CONVERGED, GMRES_REDUCED, GMRES_FAILED } from "./linalg/krylov.js";
export { detectSparsity } from "./linalg/sparsity-detection.js";
export { type SparsePattern, patternFromRows, patternToRows } from "./linalg/sparse-pattern.js";
export { MemoryBudgetError, DEFAULT_MEMORY_BUDGET } from "./util/memory.js";
export type { VectorBackend, WasmBackendOption } from "./wasm/erk-backend.js";
export { enableWebAssembly } from "./wasm/install.js";
export { planEnsemble, solveEnsembleRange, EnsemblePlan, type EnsembleProblem, type EnsembleInputs, type EnsemblePart } from "./ensemble/portable.js";
export type { PackedArgs } from "./ensemble/packed-args.js";
export { ReversibleHeun, type ReversibleHeunState } from "./solvers/reversible_heun.js";
export { ReversibleAdjoint } from "./adjoint/reversible.js";
export { ImplicitAdjoint } from "./adjoint/implicit.js";
export { SteadyStateEvent, type SteadyStateEventOptions } from "./events/steady_state.js";
export type { TextProgressMeterOptions } from "./progress.js";
export { DelayTerm, type DelayTermOptions, type Delay, type DelayVectorField, type History, type HistoryFunction } from "./delay/term.js";
export { MethodOfSteps, MethodOfStepsState } from "./delay/method-of-steps.js";
export { AbstractPath, LinearInterpolation, CubicInterpolation, RectilinearInterpolation, type LinearInterpolationOptions, type CubicInterpolationOptions, type CubicKind, type RectilinearInterpolationOptions, type PathValues } from "./control/paths.js";
export { CDETerm, type CDEVectorField } from "./control/cde-term.js";
