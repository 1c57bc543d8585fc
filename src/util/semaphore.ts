/**
 * Caps concurrent async work; waiters are served first come, first served. A finishing
 * task hands its slot straight to the next waiter, so a caller arriving in between cannot
 * take it as well (the cap holds even then).
 */
export function createSemaphore(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
