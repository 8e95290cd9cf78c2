/** The desk workstation's screens, in navigation order. */
export const screens = [];
