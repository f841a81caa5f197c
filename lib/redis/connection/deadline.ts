/**
 * Resolves once `work` settles or the clock reaches `deadline` (epoch milliseconds), whichever
 * comes first; never rejects. Lets close() give every step the same overall deadline instead of
 * one timeout per step.
 */
export async function settleBy(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([work.then(noop, noop), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {
  // The outcome is not needed: the caller goes on either way.
}
