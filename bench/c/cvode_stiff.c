/*
 * CVODE peer of bench/stiff.bench.ts: SUNDIALS CVODE (variable-order BDF, Newton with a dense
 * direct linear solver and the analytic Jacobian) on ROBER and VDPOL (eps = 1e-6).
 * Usage: cvode_stiff PROBLEM RTOL ATOL T1 MINTIME   (PROBLEM: ROBER or VDPOL)
 * Prints JSON: {"y": [...], "time": seconds per solve (fastest), "steps": n, "fevals": n}.
 * Ours (odeflow's benchmark harness), written against the public CVODE API (v6 and v7).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

static int rober(sunrealtype t, N_Vector y, N_Vector yd, void *u) {
  sunrealtype *x = N_VGetArrayPointer(y), *d = N_VGetArrayPointer(yd);
  d[0] = -0.04 * x[0] + 1e4 * x[1] * x[2];
  d[2] = 3e7 * x[1] * x[1];
  d[1] = -d[0] - d[2];
  return 0;
}
static int rober_jac(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *u, N_Vector a, N_Vector b, N_Vector c) {
  sunrealtype *x = N_VGetArrayPointer(y);
  SM_ELEMENT_D(J, 0, 0) = -0.04; SM_ELEMENT_D(J, 0, 1) = 1e4 * x[2]; SM_ELEMENT_D(J, 0, 2) = 1e4 * x[1];
  SM_ELEMENT_D(J, 1, 0) = 0.04; SM_ELEMENT_D(J, 1, 1) = -1e4 * x[2] - 6e7 * x[1]; SM_ELEMENT_D(J, 1, 2) = -1e4 * x[1];
  SM_ELEMENT_D(J, 2, 0) = 0; SM_ELEMENT_D(J, 2, 1) = 6e7 * x[1]; SM_ELEMENT_D(J, 2, 2) = 0;
  return 0;
}
static int vdpol(sunrealtype t, N_Vector y, N_Vector yd, void *u) {
  sunrealtype *x = N_VGetArrayPointer(y), *d = N_VGetArrayPointer(yd);
  d[0] = x[1];
  d[1] = ((1 - x[0] * x[0]) * x[1] - x[0]) / 1e-6;
  return 0;
}
static int vdpol_jac(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *u, N_Vector a, N_Vector b, N_Vector c) {
  sunrealtype *x = N_VGetArrayPointer(y);
  SM_ELEMENT_D(J, 0, 0) = 0; SM_ELEMENT_D(J, 0, 1) = 1;
  SM_ELEMENT_D(J, 1, 0) = (-2 * x[0] * x[1] - 1) / 1e-6; SM_ELEMENT_D(J, 1, 1) = (1 - x[0] * x[0]) / 1e-6;
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int solve(SUNContext ctx, int prob, double rtol, double atol, double t1, double *yout, long *steps, long *fevals) {
  int n = prob == 0 ? 3 : 2;
  N_Vector y = N_VNew_Serial(n, ctx);
  sunrealtype *x = N_VGetArrayPointer(y);
  if (prob == 0) { x[0] = 1; x[1] = 0; x[2] = 0; } else { x[0] = 2; x[1] = 0; }
  void *mem = CVodeCreate(CV_BDF, ctx);
  CVodeInit(mem, prob == 0 ? rober : vdpol, 0.0, y);
  CVodeSStolerances(mem, rtol, atol);
  SUNMatrix A = SUNDenseMatrix(n, n, ctx);
  SUNLinearSolver LS = SUNLinSol_Dense(y, A, ctx);
  CVodeSetLinearSolver(mem, LS, A);
  CVodeSetJacFn(mem, prob == 0 ? rober_jac : vdpol_jac);
  CVodeSetMaxNumSteps(mem, 10000000);
  sunrealtype t;
  int flag = CVode(mem, t1, y, &t, CV_NORMAL);
  for (int i = 0; i < n; i++) yout[i] = x[i];
  CVodeGetNumSteps(mem, steps);
  CVodeGetNumRhsEvals(mem, fevals);
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  SUNMatDestroy(A);
  N_VDestroy(y);
  return flag;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: cvode_stiff ROBER|VDPOL rtol atol t1 mintime\n"); return 2; }
  int prob = strcmp(argv[1], "ROBER") == 0 ? 0 : 1;
  double rtol = atof(argv[2]), atol = atof(argv[3]), t1 = atof(argv[4]), minTime = atof(argv[5]);
  SUNContext ctx;
#if SUNDIALS_VERSION_MAJOR >= 7
  SUNContext_Create(SUN_COMM_NULL, &ctx);
#else
  SUNContext_Create(NULL, &ctx);
#endif
  double y[3];
  long steps = 0, fevals = 0;
  int flag = solve(ctx, prob, rtol, atol, t1, y, &steps, &fevals);
  if (flag < 0) { fprintf(stderr, "CVODE failed with flag %d\n", flag); return 1; }
  double best = 1e30, spent = 0;
  int calls = 0;
  while (calls < 2 || spent < minTime) {
    double a = now();
    double yy[3];
    long s, f;
    solve(ctx, prob, rtol, atol, t1, yy, &s, &f);
    double dt = now() - a;
    spent += dt;
    calls++;
    if (dt < best) best = dt;
  }
  int n = prob == 0 ? 3 : 2;
  printf("{\"y\": [");
  for (int i = 0; i < n; i++) printf(i ? ", %.17g" : "%.17g", y[i]);
  printf("], \"time\": %.9g, \"steps\": %ld, \"fevals\": %ld}\n", best, steps, fevals);
  SUNContext_Free(&ctx);
  return 0;
}
