/**
 * "Only the latest answer counts" (pure): each request takes a ticket; an answer is used only
 * if its ticket is still the newest, so a slow quote answer for an older basket never
 * overwrites the quote of the basket on screen.
 */
export function latestOnly() {
  let newest = 0;
  return {
    /** A ticket for a request about to be sent. */
    take: () => {
      newest += 1;
      return newest;
    },
    /** Whether an answer to `ticket` is still wanted. */
    current: (ticket) => ticket === newest,
    /** Forget every request in flight (their answers are dropped). */
    drop: () => {
      newest += 1;
    },
  };
}
