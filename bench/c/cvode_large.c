/*
 * CVODE peer of bench/large-systems.bench.ts: SUNDIALS CVODE (variable-order BDF, Newton) on the
 * 2-D Brusselator (test/stiff/bruss2d.ts: N x N cells, species interleaved, zero-flux boundaries,
 * forcing on a disk for t >= 1.1, t in [0, 11.5]) and on POLLU replicated over independent cells
 * (cell-major: y[20 c + s]; Verwer 1994, Bari test set), with three linear solvers:
 *   band   CVODE's band solver, difference-quotient band Jacobian (half-bandwidths 2N, or 19);
 *   gmres  SPGMR (maxl 5, CVODE's default) preconditioned on the left by CVBandPrecInit, the banded
 *          difference-quotient preconditioner of SUNDIALS, half-bandwidths 2 (the reaction and
 *          x-direction coupling of one cell; 19 for POLLU, its whole cell);
 *   klu    KLU sparse direct solver with an analytic sparse Jacobian (CSC).
 * Usage: cvode_large PROBLEM SIZE SOLVER RTOL ATOL MINTIME MAXTIME   (PROBLEM: BRUSS2D or POLLU; SIZE:
 *        N or the number of cells)
 * Prints JSON: y(t1), the fastest time of repeated solves (repeats only while a solve takes less than
 * MAXTIME), steps, f evaluations (including difference quotients), Jacobian and preconditioner
 * evaluations, linear-solver setups, linear iterations, and the process's peak resident memory.
 * Ours (odeflow's benchmark harness), written against the public CVODE API (v6 and v7).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <cvode/cvode.h>
#include <cvode/cvode_bandpre.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_band.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunmatrix/sunmatrix_band.h>
#include <sunmatrix/sunmatrix_sparse.h>

typedef struct {
  int prob; /* 0: Brusselator, 1: POLLU */
  int N;    /* grid size, or number of cells */
  double inv;
  unsigned char *disk;
} Problem;

static int bruss(sunrealtype t, N_Vector yv, N_Vector ydv, void *ud) {
  Problem *p = (Problem *)ud;
  const int N = p->N;
  const double inv = p->inv;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  sunrealtype *dy = N_VGetArrayPointer(ydv);
  const int forced = t >= 1.1;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      const int c = i * N + j, k = 2 * c;
      const double u = y[k], v = y[k + 1];
      const int up = i > 0 ? k - 2 * N : k, dn = i < N - 1 ? k + 2 * N : k;
      const int lf = j > 0 ? k - 2 : k, rt = j < N - 1 ? k + 2 : k;
      const double uuv = u * u * v;
      dy[k] = 1.0 + uuv - 4.4 * u + inv * (y[up] + y[dn] + y[lf] + y[rt] - 4.0 * u) + (forced && p->disk[c] ? 5.0 : 0.0);
      dy[k + 1] = 3.4 * u - uuv + inv * (y[up + 1] + y[dn + 1] + y[lf + 1] + y[rt + 1] - 4.0 * v);
    }
  }
  return 0;
}

/* Analytic Jacobian of the Brusselator in CSC: column of (cell c, species s). */
static int bruss_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *ud, N_Vector a, N_Vector b, N_Vector c3) {
  Problem *p = (Problem *)ud;
  const int N = p->N;
  const double inv = p->inv;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  sunindextype *colptr = SUNSparseMatrix_IndexPointers(J), *rowval = SUNSparseMatrix_IndexValues(J);
  sunrealtype *val = SUNSparseMatrix_Data(J);
  sunindextype nz = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      const int cell = i * N + j, k = 2 * cell;
      const double u = y[k], v = y[k + 1];
      const int nb = (i > 0) + (i < N - 1) + (j > 0) + (j < N - 1); /* neighbours inside the grid */
      for (int s = 0; s < 2; s++) {
        const int col = k + s;
        colptr[col] = nz;
        /* Rows in ascending order: up neighbour, left, own cell (u then v), right, down. */
        if (i > 0) { rowval[nz] = col - 2 * N; val[nz++] = inv; }
        if (j > 0) { rowval[nz] = col - 2; val[nz++] = inv; }
        const double diag = -inv * nb;
        if (s == 0) {
          rowval[nz] = k; val[nz++] = 2.0 * u * v - 4.4 + diag;   /* d f_u / d u */
          rowval[nz] = k + 1; val[nz++] = 3.4 - 2.0 * u * v;      /* d f_v / d u */
        } else {
          rowval[nz] = k; val[nz++] = u * u;                      /* d f_u / d v */
          rowval[nz] = k + 1; val[nz++] = -u * u + diag;          /* d f_v / d v */
        }
        if (j < N - 1) { rowval[nz] = col + 2; val[nz++] = inv; }
        if (i < N - 1) { rowval[nz] = col + 2 * N; val[nz++] = inv; }
      }
    }
  }
  colptr[2 * N * N] = nz;
  return 0;
}

/* POLLU: rate constants, reactants (0-based species, -1: none) and stoichiometry. */
static const double K[25] = {0.35, 0.266e2, 0.123e5, 0.86e-3, 0.82e-3, 0.15e5, 0.13e-3, 0.24e5, 0.165e5, 0.9e4, 0.22e-1, 0.12e5, 0.188e1,
                             0.163e5, 0.48e7, 0.35e-3, 0.175e-1, 0.1e9, 0.444e12, 0.124e4, 0.21e1, 0.578e1, 0.474e-1, 0.178e4, 0.312e1};
static const int RA[25] = {0, 1, 4, 6, 6, 6, 8, 8, 10, 10, 12, 9, 13, 0, 2, 3, 3, 15, 15, 16, 18, 18, 0, 18, 19};
static const int RB[25] = {-1, 3, 1, -1, -1, 5, -1, 5, 1, 0, -1, 1, -1, 5, -1, -1, -1, -1, -1, 5, -1, -1, 3, 0, -1};
/* Net change of species per reaction, as (reaction, species, coefficient) triples. */
static const int ST[][3] = {
  {0, 0, -1}, {0, 1, 1}, {0, 2, 1},           {1, 0, 1}, {1, 1, -1}, {1, 3, -1},
  {2, 0, 1}, {2, 1, -1}, {2, 4, -1}, {2, 5, 1}, {3, 4, 2}, {3, 6, -1}, {3, 7, 1},
  {4, 6, -1}, {4, 7, 1},                       {5, 4, 1}, {5, 5, -1}, {5, 6, -1}, {5, 7, 1},
  {6, 4, 1}, {6, 7, 1}, {6, 8, -1}, {6, 9, 1}, {7, 5, -1}, {7, 8, -1}, {7, 10, 1},
  {8, 0, 1}, {8, 1, -1}, {8, 9, 1}, {8, 10, -1}, {8, 11, 1}, {9, 0, -1}, {9, 10, -1}, {9, 12, 1},
  {10, 0, 1}, {10, 10, 1}, {10, 12, -1},       {11, 0, 1}, {11, 1, -1}, {11, 9, -1}, {11, 13, 1},
  {12, 4, 1}, {12, 6, 1}, {12, 13, -1},        {13, 0, -1}, {13, 5, -1}, {13, 14, 1},
  {14, 2, -1}, {14, 3, 1}, {15, 3, -1}, {15, 15, 1}, {16, 2, 1}, {16, 3, -1}, {17, 5, 2}, {17, 15, -1},
  {18, 2, 1}, {18, 15, -1}, {19, 4, 1}, {19, 5, -1}, {19, 16, -1}, {19, 17, 1}, {20, 1, 1}, {20, 18, -1},
  {21, 0, 1}, {21, 2, 1}, {21, 18, -1},        {22, 0, -1}, {22, 3, -1}, {22, 18, 1},
  {23, 0, -1}, {23, 18, -1}, {23, 19, 1},      {24, 0, 1}, {24, 18, 1}, {24, 19, -1},
};
#define NST ((int)(sizeof(ST) / sizeof(ST[0])))

static int pollu(sunrealtype t, N_Vector yv, N_Vector ydv, void *ud) {
  Problem *p = (Problem *)ud;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  sunrealtype *dy = N_VGetArrayPointer(ydv);
  for (int c = 0; c < p->N; c++) {
    const sunrealtype *yc = y + 20 * c;
    sunrealtype *d = dy + 20 * c;
    double r[25];
    for (int k = 0; k < 25; k++) r[k] = K[k] * yc[RA[k]] * (RB[k] >= 0 ? yc[RB[k]] : 1.0);
    for (int s = 0; s < 20; s++) d[s] = 0;
    for (int e = 0; e < NST; e++) d[ST[e][1]] += ST[e][2] * r[ST[e][0]];
  }
  return 0;
}

/* POLLU Jacobian: dense 20 x 20 per cell (its pattern), stored in CSC of the block-diagonal matrix. */
static int pollu_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *ud, N_Vector a, N_Vector b, N_Vector c3) {
  Problem *p = (Problem *)ud;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  sunindextype *colptr = SUNSparseMatrix_IndexPointers(J), *rowval = SUNSparseMatrix_IndexValues(J);
  sunrealtype *val = SUNSparseMatrix_Data(J);
  sunindextype nz = 0;
  double Jc[20][20];
  for (int c = 0; c < p->N; c++) {
    const sunrealtype *yc = y + 20 * c;
    memset(Jc, 0, sizeof(Jc));
    for (int e = 0; e < NST; e++) {
      const int k = ST[e][0], s = ST[e][1];
      const double co = ST[e][2] * K[k];
      if (RB[k] < 0) Jc[s][RA[k]] += co;
      else {
        Jc[s][RA[k]] += co * yc[RB[k]];
        Jc[s][RB[k]] += co * yc[RA[k]];
      }
    }
    for (int j = 0; j < 20; j++) {
      colptr[20 * c + j] = nz;
      for (int i = 0; i < 20; i++) {
        rowval[nz] = 20 * c + i;
        val[nz++] = Jc[i][j];
      }
    }
  }
  colptr[20 * p->N] = nz;
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct { long steps, fevals, jevals, setups, liniters, pevals, psolves; } Stats;

static int solve(SUNContext ctx, Problem *p, const char *ls, double rtol, double atol, double *yout, Stats *st) {
  const int n = p->prob == 0 ? 2 * p->N * p->N : 20 * p->N;
  const double t1 = p->prob == 0 ? 11.5 : 60.0;
  N_Vector y = N_VNew_Serial(n, ctx);
  sunrealtype *x = N_VGetArrayPointer(y);
  if (p->prob == 0) {
    const int N = p->N;
    const double h = 1.0 / N;
    for (int i = 0; i < N; i++) {
      const double yc = (i + 0.5) * h;
      for (int j = 0; j < N; j++) {
        const double xc = (j + 0.5) * h;
        x[2 * (i * N + j)] = 22.0 * yc * pow(1.0 - yc, 1.5);
        x[2 * (i * N + j) + 1] = 27.0 * xc * pow(1.0 - xc, 1.5);
      }
    }
  } else {
    static const double y0[20] = {0, 0.2, 0, 0.04, 0, 0, 0.1, 0.3, 0.01, 0, 0, 0, 0, 0, 0, 0, 0.007, 0, 0, 0};
    for (int c = 0; c < p->N; c++) for (int s = 0; s < 20; s++) x[20 * c + s] = y0[s];
  }
  void *mem = CVodeCreate(CV_BDF, ctx);
  CVodeInit(mem, p->prob == 0 ? bruss : pollu, 0.0, y);
  CVodeSetUserData(mem, p);
  CVodeSStolerances(mem, rtol, atol);
  CVodeSetMaxNumSteps(mem, 10000000);
  const int band = p->prob == 0 ? 2 * p->N : 19;
  SUNMatrix A = NULL;
  SUNLinearSolver LS;
  if (strcmp(ls, "band") == 0) {
    A = SUNBandMatrix(n, band, band, ctx);
    LS = SUNLinSol_Band(y, A, ctx);
    CVodeSetLinearSolver(mem, LS, A);
  } else if (strcmp(ls, "gmres") == 0) {
    LS = SUNLinSol_SPGMR(y, SUN_PREC_LEFT, 5, ctx);
    CVodeSetLinearSolver(mem, LS, NULL);
    const int pb = p->prob == 0 ? 2 : 19;
    CVBandPrecInit(mem, n, pb, pb);
  } else {
    const long nnz = p->prob == 0 ? (long)n * 6 : 400L * p->N;
    A = SUNSparseMatrix(n, n, nnz, CSC_MAT, ctx);
    LS = SUNLinSol_KLU(y, A, ctx);
    CVodeSetLinearSolver(mem, LS, A);
    CVodeSetJacFn(mem, p->prob == 0 ? bruss_jac : pollu_jac);
  }
  sunrealtype t;
  int flag = CVode(mem, t1, y, &t, CV_NORMAL);
  for (int i = 0; i < n; i++) yout[i] = x[i];
  long nfeLS = 0, nbp = 0;
  CVodeGetNumSteps(mem, &st->steps);
  CVodeGetNumRhsEvals(mem, &st->fevals);
  CVodeGetNumLinRhsEvals(mem, &nfeLS);
  st->fevals += nfeLS;
  if (strcmp(ls, "gmres") == 0) {
    CVBandPrecGetNumRhsEvals(mem, &nbp);
    st->fevals += nbp;
  }
  CVodeGetNumJacEvals(mem, &st->jevals);
  CVodeGetNumLinSolvSetups(mem, &st->setups);
  CVodeGetNumLinIters(mem, &st->liniters);
  CVodeGetNumPrecEvals(mem, &st->pevals);
  CVodeGetNumPrecSolves(mem, &st->psolves);
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  if (A != NULL) SUNMatDestroy(A);
  N_VDestroy(y);
  return flag;
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: cvode_large BRUSS2D|POLLU size band|gmres|klu rtol atol mintime maxtime\n");
    return 2;
  }
  Problem p;
  p.prob = strcmp(argv[1], "BRUSS2D") == 0 ? 0 : 1;
  p.N = atoi(argv[2]);
  const char *ls = argv[3];
  const double rtol = atof(argv[4]), atol = atof(argv[5]), minTime = atof(argv[6]), maxTime = atof(argv[7]);
  p.inv = (double)p.N * p.N;
  p.disk = NULL;
  if (p.prob == 0) {
    p.disk = calloc((size_t)p.N * p.N, 1);
    const double h = 1.0 / p.N;
    for (int i = 0; i < p.N; i++)
      for (int j = 0; j < p.N; j++) {
        const double xc = (j + 0.5) * h, yc = (i + 0.5) * h;
        p.disk[i * p.N + j] = (xc - 0.3) * (xc - 0.3) + (yc - 0.6) * (yc - 0.6) <= 0.01;
      }
  }
  SUNContext ctx;
#if SUNDIALS_VERSION_MAJOR >= 7
  SUNContext_Create(SUN_COMM_NULL, &ctx);
#else
  SUNContext_Create(NULL, &ctx);
#endif
  const int n = p.prob == 0 ? 2 * p.N * p.N : 20 * p.N;
  double *y = malloc(sizeof(double) * n), *yy = malloc(sizeof(double) * n);
  Stats st, st2;
  double a = now();
  int flag = solve(ctx, &p, ls, rtol, atol, y, &st);
  double best = now() - a;
  if (flag < 0) {
    fprintf(stderr, "CVODE failed with flag %d\n", flag);
    return 1;
  }
  double spent = best;
  int calls = 1;
  while (best < maxTime && (calls < 2 || spent < minTime)) {
    a = now();
    solve(ctx, &p, ls, rtol, atol, yy, &st2);
    double dt = now() - a;
    spent += dt;
    calls++;
    if (dt < best) best = dt;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"time\": %.9g, \"steps\": %ld, \"fevals\": %ld, \"jevals\": %ld, \"setups\": %ld, \"liniters\": %ld, \"pevals\": %ld, "
         "\"peakKB\": %ld, \"y\": [",
         best, st.steps, st.fevals, st.jevals, st.setups, st.liniters, st.pevals, ru.ru_maxrss);
  for (int i = 0; i < n; i++) printf(i ? ", %.17g" : "%.17g", y[i]);
  printf("]}\n");
  SUNContext_Free(&ctx);
  return 0;
}
