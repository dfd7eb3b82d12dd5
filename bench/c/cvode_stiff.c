/*
 * CVODE peer of bench/stiff.bench.ts: SUNDIALS CVODE (variable-order BDF, Newton with a direct
 * linear solver) on ROBER and VDPOL (eps = 1e-6) with analytic Jacobians and a dense solver, HIRES
 * with CVODE's difference-quotient Jacobian, and the 1-D Brusselator (N = 500, interleaved, band
 * width 2) with CVODE's banded difference-quotient Jacobian and band solver.
 * Usage: cvode_stiff PROBLEM RTOL ATOL T1 MINTIME   (PROBLEM: ROBER, VDPOL, HIRES or BRUSS)
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
#include <sunlinsol/sunlinsol_band.h>
#include <sunmatrix/sunmatrix_band.h>

#define BRUSS_N 500

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

static int hires(sunrealtype t, N_Vector y, N_Vector yd, void *u) {
  sunrealtype *x = N_VGetArrayPointer(y), *d = N_VGetArrayPointer(yd);
  d[0] = -1.71 * x[0] + 0.43 * x[1] + 8.32 * x[2] + 0.0007;
  d[1] = 1.71 * x[0] - 8.75 * x[1];
  d[2] = -10.03 * x[2] + 0.43 * x[3] + 0.035 * x[4];
  d[3] = 8.32 * x[1] + 1.71 * x[2] - 1.12 * x[3];
  d[4] = -1.745 * x[4] + 0.43 * x[5] + 0.43 * x[6];
  d[5] = -280.0 * x[5] * x[7] + 0.69 * x[3] + 1.71 * x[4] - 0.43 * x[5] + 0.69 * x[6];
  d[6] = 280.0 * x[5] * x[7] - 1.81 * x[6];
  d[7] = -d[6];
  return 0;
}
/* Brusselator (Hairer & Wanner II, (10.10)), interleaved u_i, v_i; alpha = 1/50; u = 1, v = 3 at the ends. */
static int bruss(sunrealtype t, N_Vector y, N_Vector yd, void *user) {
  sunrealtype *x = N_VGetArrayPointer(y), *d = N_VGetArrayPointer(yd);
  const int N = BRUSS_N;
  const double c = (1.0 / 50.0) * (N + 1) * (N + 1);
  for (int i = 0; i < N; i++) {
    double u = x[2 * i], v = x[2 * i + 1];
    double ul = i == 0 ? 1.0 : x[2 * i - 2], ur = i == N - 1 ? 1.0 : x[2 * i + 2];
    double vl = i == 0 ? 3.0 : x[2 * i - 1], vr = i == N - 1 ? 3.0 : x[2 * i + 3];
    d[2 * i] = 1.0 + u * u * v - 4.0 * u + c * (ul - 2.0 * u + ur);
    d[2 * i + 1] = 3.0 * u - u * u * v + c * (vl - 2.0 * v + vr);
  }
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int problem_size(int prob) { return prob == 0 ? 3 : prob == 1 ? 2 : prob == 2 ? 8 : 2 * BRUSS_N; }

static int solve(SUNContext ctx, int prob, double rtol, double atol, double t1, double *yout, long *steps, long *fevals) {
  int n = problem_size(prob);
  N_Vector y = N_VNew_Serial(n, ctx);
  sunrealtype *x = N_VGetArrayPointer(y);
  if (prob == 0) { x[0] = 1; x[1] = 0; x[2] = 0; }
  else if (prob == 1) { x[0] = 2; x[1] = 0; }
  else if (prob == 2) { for (int i = 0; i < 8; i++) x[i] = 0; x[0] = 1; x[7] = 0.0057; }
  else { for (int i = 0; i < BRUSS_N; i++) { double xi = (i + 1.0) / (BRUSS_N + 1.0); x[2 * i] = 1.0 + sin(2.0 * M_PI * xi); x[2 * i + 1] = 3.0; } }
  void *mem = CVodeCreate(CV_BDF, ctx);
  CVodeInit(mem, prob == 0 ? rober : prob == 1 ? vdpol : prob == 2 ? hires : bruss, 0.0, y);
  CVodeSStolerances(mem, rtol, atol);
  SUNMatrix A = prob == 3 ? SUNBandMatrix(n, 2, 2, ctx) : SUNDenseMatrix(n, n, ctx);
  SUNLinearSolver LS = prob == 3 ? SUNLinSol_Band(y, A, ctx) : SUNLinSol_Dense(y, A, ctx);
  CVodeSetLinearSolver(mem, LS, A);
  if (prob == 0) CVodeSetJacFn(mem, rober_jac);
  if (prob == 1) CVodeSetJacFn(mem, vdpol_jac);
  CVodeSetMaxNumSteps(mem, 10000000);
  sunrealtype t;
  int flag = CVode(mem, t1, y, &t, CV_NORMAL);
  for (int i = 0; i < n; i++) yout[i] = x[i];
  CVodeGetNumSteps(mem, steps);
  CVodeGetNumRhsEvals(mem, fevals);
  long nfeLS = 0;
  CVodeGetNumLinRhsEvals(mem, &nfeLS);
  *fevals += nfeLS;
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  SUNMatDestroy(A);
  N_VDestroy(y);
  return flag;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: cvode_stiff ROBER|VDPOL rtol atol t1 mintime\n"); return 2; }
  int prob = strcmp(argv[1], "ROBER") == 0 ? 0 : strcmp(argv[1], "VDPOL") == 0 ? 1 : strcmp(argv[1], "HIRES") == 0 ? 2 : 3;
  double rtol = atof(argv[2]), atol = atof(argv[3]), t1 = atof(argv[4]), minTime = atof(argv[5]);
  SUNContext ctx;
#if SUNDIALS_VERSION_MAJOR >= 7
  SUNContext_Create(SUN_COMM_NULL, &ctx);
#else
  SUNContext_Create(NULL, &ctx);
#endif
  static double y[2 * BRUSS_N], yy[2 * BRUSS_N];
  long steps = 0, fevals = 0;
  int flag = solve(ctx, prob, rtol, atol, t1, y, &steps, &fevals);
  if (flag < 0) { fprintf(stderr, "CVODE failed with flag %d\n", flag); return 1; }
  double best = 1e30, spent = 0;
  int calls = 0;
  while (calls < 2 || spent < minTime) {
    double a = now();
    long s, f;
    solve(ctx, prob, rtol, atol, t1, yy, &s, &f);
    double dt = now() - a;
    spent += dt;
    calls++;
    if (dt < best) best = dt;
  }
  int n = problem_size(prob);
  printf("{\"y\": [");
  for (int i = 0; i < n; i++) printf(i ? ", %.17g" : "%.17g", y[i]);
  printf("], \"time\": %.9g, \"steps\": %ld, \"fevals\": %ld}\n", best, steps, fevals);
  SUNContext_Free(&ctx);
  return 0;
}
