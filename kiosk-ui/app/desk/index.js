/** The replacement desk's screens, in navigation order: loss report, replacement, follow-up list. */
import { LossReportScreen } from './loss-report.js';
import { ReplacementScreen } from './replacement.js';
import { FollowUpScreen } from './follow-up.js';

document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/app/desk/screens.css' }));

export const screens = [
  { id: 'desk-loss-report', title: 'desk.screen.loss_report', permission: 'card.report_loss', view: LossReportScreen },
  { id: 'desk-replacement', title: 'desk.screen.replacement', permission: 'card.replace', view: ReplacementScreen },
  { id: 'desk-follow-up', title: 'desk.screen.follow_up', permission: 'card.report_loss', view: FollowUpScreen },
];
