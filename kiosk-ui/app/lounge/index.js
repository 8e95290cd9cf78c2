/** The lounge workstation's screens, in navigation order. */
import { Enrol } from './enrol.js';
import { CardServices } from './card-services.js';
import { MemberSearch } from './search.js';
import { Birthdays } from './birthdays.js';
import { DuplicateMembers } from './duplicates.js';

document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/app/lounge/screens.css' }));

export const screens = [
  { id: 'enrol', title: 'lounge.nav.enrol', permission: 'member.enrol', view: Enrol },
  { id: 'card', title: 'lounge.nav.card', permission: 'card.lookup', view: CardServices },
  { id: 'search', title: 'lounge.nav.search', permission: 'member.read', view: MemberSearch },
  { id: 'birthdays', title: 'lounge.nav.birthdays', permission: 'member.read', view: Birthdays },
  { id: 'duplicates', title: 'lounge.nav.duplicates', permission: 'member.update', view: DuplicateMembers },
];
