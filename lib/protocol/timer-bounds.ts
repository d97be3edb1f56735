/** The longest delay setTimeout honours (in Node and browsers alike); a longer one fires at once. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1
