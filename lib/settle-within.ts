/**
 * Waits for `work`, but no longer than `ms`: resolves once it settles (a rejection counts as
 * settled, and is not passed on) or once the time is up, whichever comes first. The timer is
 * cleared as soon as `work` settles, so it keeps the process alive only while there is a wait. For waits that must be bounded
 * whatever the other side does: a frozen Redis at shutdown, a subscription Redis never confirms.
 */
export async function settleWithin (work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeUp = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })
  try {
    await Promise.race([work.then(() => {}, () => {}), timeUp])
  } finally {
    clearTimeout(timer)
  }
}
