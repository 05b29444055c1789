/**
 * Waits until `ready()` holds (checked every 20 ms), for at most `limitMs`: tens of seconds, a bound
 * for something that never happens, never a speed test.
 */
export async function waitFor(ready: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
