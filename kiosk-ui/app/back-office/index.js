/** The back-office workstation's screens, in navigation order. */
export const screens = [];
