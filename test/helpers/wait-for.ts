/**
 * Waits until `condition` holds, checking every few milliseconds, for state the server updates
 * after an event the test cannot observe (such as the server noticing a socket closed). Bounded:
 * throws after `timeoutMs`.
 */
export async function waitFor (condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
