/** The checkout workstation's screens, in navigation order: the sale, and refunds. */
import { SaleScreen } from './sale-screen.js';
import { RefundScreen } from './refund-screen.js';

document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/app/checkout/screens.css' }));

export const screens = [
  { id: 'sale', title: 'checkout.sale.title', permission: 'sale.checkout', view: SaleScreen },
  { id: 'refund', title: 'checkout.refund.title', permission: 'refund.own_till', view: RefundScreen },
];
