/**
 * How mailing tools name what happened to a message, as data: one table of event words (Brevo's
 * `hard_bounce`, Mailchimp's `unsub`, Klaviyo's `Marked Email as Spam`, HubSpot's `SPAMREPORT`...) and
 * one of column names. docs/campaigns.md lists each tool's columns and events. Words are compared folded
 * (case, accents, spaces and punctuation ignored), as import compares headers.
 */
import { foldHeader } from '../io/header-words.js';

export type CampaignEvent = 'delivered' | 'opened' | 'clicked' | 'hard_bounce' | 'soft_bounce' | 'unsubscribed' | 'complained';
export const CAMPAIGN_EVENTS: readonly CampaignEvent[] = ['delivered', 'opened', 'clicked', 'hard_bounce', 'soft_bounce', 'unsubscribed', 'complained'];

/**
 * A bounce whose kind is given by another column (Mailchimp's Type, Klaviyo's Bounce Type, HubSpot's
 * category); HubSpot's STATUSCHANGE, an unsubscribe when its subscription status column says so.
 */
type Word = CampaignEvent | 'bounce' | 'statuschange' | 'ignored';

const EVENT_WORDS: Record<string, Word> = {
  // delivered
  delivered: 'delivered', delivery: 'delivered', receivedemail: 'delivered', received: 'delivered', delivre: 'delivered',
  // opened (an open by a mail proxy or bot is not the person: ignored)
  opened: 'opened', open: 'opened', opens: 'opened', openedemail: 'opened', uniqueopened: 'opened', firstopening: 'opened', ouvert: 'opened',
  proxyopen: 'ignored', loadedbyproxy: 'ignored',
  // clicked
  click: 'clicked', clicked: 'clicked', clicks: 'clicked', clickedemail: 'clicked', clique: 'clicked',
  // bounces
  hardbounce: 'hard_bounce', hardbounced: 'hard_bounce', hardbounces: 'hard_bounce',
  softbounce: 'soft_bounce', softbounced: 'soft_bounce', softbounces: 'soft_bounce', deferred: 'soft_bounce',
  bounce: 'bounce', bounced: 'bounce', bouncedemail: 'bounce',
  // Mailchimp's audience webhook and export: a cleaned address is one that hard-bounced (or soft-bounced past its limit).
  cleaned: 'hard_bounce',
  // unsubscribed
  unsubscribe: 'unsubscribed', unsubscribed: 'unsubscribed', unsub: 'unsubscribed', unsubscribedfromemailmarketing: 'unsubscribed',
  unsubscribedfromlist: 'unsubscribed', optout: 'unsubscribed', optedout: 'unsubscribed', desabonnement: 'unsubscribed', desinscription: 'unsubscribed',
  // spam complaints
  spam: 'complained', spamreport: 'complained', markedasspam: 'complained', markedemailasspam: 'complained', abuse: 'complained',
  complaint: 'complained', complained: 'complained', plainte: 'complained',
  // the send itself, or what the tool did without the person
  sent: 'ignored', processed: 'ignored', requests: 'ignored', request: 'ignored', dropped: 'ignored', droppedemail: 'ignored',
  blocked: 'ignored', error: 'ignored', invalid: 'ignored', invalidemail: 'ignored', mtadropped: 'ignored',
  forward: 'ignored', print: 'ignored', suppressed: 'ignored', unbounce: 'ignored',
  // HubSpot's email events: a subscription status change (an unsubscribe when its status column says UNSUBSCRIBED).
  statuschange: 'statuschange',
  // Brevo's weekly marketing export carries contact events too; Klaviyo's list metrics are not about a message.
  contactdeleted: 'ignored', contactupdated: 'ignored', listaddition: 'ignored', contactaddedtolist: 'ignored',
  uniquecouponsent: 'ignored', uniqueproxyopen: 'ignored', subscribedtolist: 'ignored', subscribedtoemailmarketing: 'ignored',
};

/** Bounce kinds a bounce-type column gives for a temporary failure; anything else is a hard bounce. */
const SOFT_KINDS = new Set(['soft', 'softbounce', 'transient', 'temporary', 'mailboxfull', 'deferred', 'temporaryfailure', 'throttled', 'greylisting', 'timeout', 'temporaryproblem']);

/**
 * What an event cell means: an event, a word known to mean nothing about the person, or unknown.
 * `bounceType`: the bounce kind column's cell; `subscription`: HubSpot's portalSubscriptionStatus cell.
 */
export function readEvent(value: string, bounceType: string | null, subscription: string | null = null): CampaignEvent | 'ignored' | null {
  const word = EVENT_WORDS[foldHeader(value)];
  if (word === undefined) return null;
  if (word === 'statuschange') return subscription !== null && foldHeader(subscription) === 'unsubscribed' ? 'unsubscribed' : 'ignored';
  if (word !== 'bounce') return word;
  const kind = bounceType === null ? '' : foldHeader(bounceType);
  return SOFT_KINDS.has(kind) || kind.startsWith('soft') ? 'soft_bounce' : 'hard_bounce';
}

export type ColumnRole = 'address' | 'event' | 'date' | 'campaignId' | 'campaignName' | 'bounceType' | 'subscription';

/** Column names per role, folded, in order of preference. */
const ROLE_HEADERS: Record<ColumnRole, string[]> = {
  address: ['email', 'emailaddress', 'recipient', 'recipientemail', 'recipientemailaddress', 'contactemail', 'mail', 'courriel', 'adresseemail', 'adressemail', 'phone', 'phonenumber', 'sms', 'mobile'],
  event: ['event', 'eventtype', 'eventname', 'action', 'activity', 'metric', 'metricname', 'type', 'evenement', 'statut', 'status'],
  date: ['dateevent', 'eventdate', 'timestamp', 'datetime', 'date', 'time', 'created', 'createdat', 'occurredat', 'datetimeevent', 'tsevent'],
  // Mailchimp's unsubscribed and cleaned audience exports name the campaign in UNSUB_/CLEAN_CAMPAIGN_ID and _TITLE.
  campaignId: ['campid', 'campaignid', 'emailcampaignid', 'campaignuuid', 'messageid', 'idcampagne', 'unsubcampaignid', 'cleancampaignid'],
  campaignName: ['campaignname', 'campaign', 'campaigntitle', 'emailcampaignname', 'campagne', 'nomcampagne', 'messagename', 'unsubcampaigntitle', 'cleancampaigntitle'],
  bounceType: ['bouncetype', 'bouncecategory', 'category', 'typedebounce'],
  subscription: ['portalsubscriptionstatus', 'subscriptionstatus'],
};

/**
 * Wide reports (one row per recipient, a column per outcome): the outcome columns, by folded name. A
 * cell that is a positive count, a date, or yes/true/x marks the event.
 */
const OUTCOME_HEADERS: Record<string, CampaignEvent> = {
  delivered: 'delivered', opened: 'opened', opens: 'opened', uniqueopens: 'opened', clicked: 'clicked', clicks: 'clicked', uniqueclicks: 'clicked',
  hardbounce: 'hard_bounce', hardbounced: 'hard_bounce', softbounce: 'soft_bounce', softbounced: 'soft_bounce',
  unsubscribed: 'unsubscribed', unsubscribe: 'unsubscribed', spamreport: 'complained', markedasspam: 'complained', complained: 'complained', spamcomplaint: 'complained',
  // Mailchimp's audience exports: the unsubscribed members (UNSUB_TIME) and the cleaned ones (CLEAN_TIME), one file each.
  unsubtime: 'unsubscribed', cleantime: 'hard_bounce',
};

export interface ColumnPlan {
  roles: Partial<Record<ColumnRole, number>>;
  /** Wide layout: column index -> event. Empty for an event log. */
  outcomes: Map<number, CampaignEvent>;
}

/** Finds each role's column in a header row; `type` is the bounce kind when another column names the event. */
export function planColumns(headers: string[]): ColumnPlan {
  const folded = headers.map((h) => foldHeader(h));
  const roles: ColumnPlan['roles'] = {};
  const taken = new Set<number>();
  const order: ColumnRole[] = ['address', 'campaignId', 'campaignName', 'bounceType', 'subscription', 'event', 'date'];
  for (const role of order) {
    for (const name of ROLE_HEADERS[role]) {
      const index = folded.findIndex((f, i) => f === name && !taken.has(i));
      if (index < 0) continue;
      roles[role] = index;
      taken.add(index);
      break;
    }
  }
  if (roles.address === undefined) {
    const index = folded.findIndex((f, i) => f.includes('email') && !f.includes('campaign') && !f.includes('id') && !taken.has(i));
    if (index >= 0) roles.address = index;
  }
  // Mailchimp writes the bounce kind in "Type" beside "Action": Type is the event only without Action.
  const typeIndex = folded.indexOf('type');
  if (roles.event !== undefined && roles.event !== typeIndex && typeIndex >= 0 && roles.bounceType === undefined) roles.bounceType = typeIndex;
  const outcomes = new Map<number, CampaignEvent>();
  if (roles.event === undefined) folded.forEach((f, i) => (OUTCOME_HEADERS[f] ? outcomes.set(i, OUTCOME_HEADERS[f]!) : undefined));
  return { roles, outcomes };
}

/** A wide report's cell marks its event: a positive count, a date, yes/true/x. */
export function marks(cell: string): boolean {
  const value = cell.trim().toLowerCase();
  if (value === '' || value === '0' || value === 'false' || value === 'no' || value === 'non' || value === 'n') return false;
  return true;
}

/** Which tool wrote a file, by its own column names (for the summary only: every layout is read the same way). */
export function toolOf(headers: string[]): string | null {
  const folded = new Set(headers.map((h) => foldHeader(h)));
  if (folded.has('campid') || folded.has('dateevent')) return 'Brevo';
  if (folded.has('emailaddress') && (folded.has('action') || folded.has('unsubtime') || folded.has('cleantime'))) return 'Mailchimp';
  if (folded.has('metric') || folded.has('metricname')) return 'Klaviyo';
  if (folded.has('recipient') && (folded.has('emailcampaignid') || folded.has('type') || folded.has('portalsubscriptionstatus'))) return 'HubSpot';
  return null;
}
