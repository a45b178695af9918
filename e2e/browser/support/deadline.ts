// deadline -- a deadline on a condition (a process's ready line, its exit): never a pause.

/** Resolves as `p` does, or rejects with `message()` when `ms` pass first. */
export function deadline<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  const signal = AbortSignal.timeout(ms); // an unref'd timer: it keeps nothing alive
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(message()));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** Waits for `exited`; a process still running after `ms` is killed with SIGKILL. */
export async function stopWithin<T>(exited: Promise<T>, ms: number, kill: () => void): Promise<T> {
  try {
    return await deadline(exited, ms, () => "still running");
  } catch {
    kill();
    return exited;
  }
}
