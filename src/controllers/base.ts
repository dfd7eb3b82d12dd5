/** Common base of step-size controllers (see `ConstantStepSize`, `StepTo`, `PIDController`). */
export abstract class AbstractStepSizeController {
  /** Whether the controller adapts the step from an error estimate. */
  abstract readonly adaptive: boolean;
}
