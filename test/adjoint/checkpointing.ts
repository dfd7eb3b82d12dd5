/**
 * Independent references for the checkpointing tests (revolve and online checkpointing).
 */

/**
 * T[s][l]: the fewest advances reversing l steps with s checkpoints, by exhaustive dynamic
 * programming over the first split (Griewank & Walther's recursion, no closed form used).
 */
export function bruteForce(L: number, S: number): number[][] {
  const T: number[][] = [];
  for (let s = 0; s <= S; s++) T.push(new Array<number>(L + 1).fill(Infinity));
  for (let s = 1; s <= S; s++) {
    T[s]![0] = 0;
    T[s]![1] = 0;
    for (let l = 2; l <= L; l++) {
      if (s === 1) {
        T[s]![l] = (l * (l - 1)) / 2;
        continue;
      }
      let best = Infinity;
      for (let m = 1; m < l; m++) best = Math.min(best, m + T[s - 1]![l - m]! + T[s]![m]!);
      T[s]![l] = best;
    }
  }
  return T;
}
