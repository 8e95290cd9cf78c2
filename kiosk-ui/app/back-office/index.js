/** The back-office workstation's screens, in navigation order. */
import { StaffScreen } from './staff.js';
import { ReportsScreen } from './reports.js';
import { AuditScreen } from './audit.js';
import { PolicyScreen } from './policy.js';

document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/app/back-office/screens.css' }));

export const screens = [
  { id: 'staff', title: 'backoffice.staff.title', permission: 'staff.manage', view: StaffScreen },
  { id: 'reports', title: 'backoffice.reports.title', permission: 'report.daily', view: ReportsScreen },
  { id: 'audit', title: 'backoffice.audit.title', permission: 'audit.view', view: AuditScreen },
  { id: 'policy', title: 'backoffice.policy.title', permission: null, view: PolicyScreen },
];
