/** The checkout workstation's screens, in navigation order: the sale, and refunds (loaded when opened). */
import { SaleScreen } from './sale-screen.js';
import { lazyView } from '../shared/lazy-view.js';

document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/app/checkout/screens.css' }));

const RefundScreen = lazyView(() => import('./refund-screen.js').then((m) => m.RefundScreen));

export const screens = [
  { id: 'sale', title: 'checkout.sale.title', permission: 'sale.checkout', view: SaleScreen },
  { id: 'refund', title: 'checkout.refund.title', permission: 'refund.own_till', view: RefundScreen },
];
