/** The lounge workstation's screens, in navigation order. */
export const screens = [];
