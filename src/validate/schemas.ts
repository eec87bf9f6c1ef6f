/**
 * The record kinds as zod schemas, built on the field rules so there is one definition of "a valid
 * email" or "a valid phone" for import, clean and export alike. `RawContact` is what validation reads
 * (the core columns, as imported); `ValidatedColumns` is what it writes beside them.
 */
import { z } from 'zod';
import { checkBirthDate } from './dates.js';
import { checkEmail } from './email.js';
import { checkPhone } from './phone.js';
import { checkPostalCode } from './postal-code.js';
import { checkCountry } from './country.js';
import { checkSiret } from './siret.js';
import type { FieldCheck } from './types.js';

const cell = z.string().nullable();

/** The raw contact columns the rules read, in the order workers receive them. */
export const RAW_CONTACT_COLUMNS = [
  'email', 'phone', 'mobile', 'postal_code', 'city', 'address_line1', 'country', 'first_name', 'last_name',
  'civility', 'gender', 'birth_date', 'siret', 'created_at', 'last_activity_at',
] as const;

export const RawContactSchema = z.object(
  Object.fromEntries(RAW_CONTACT_COLUMNS.map((c) => [c, cell])) as Record<(typeof RAW_CONTACT_COLUMNS)[number], typeof cell>,
);
export type RawContact = z.infer<typeof RawContactSchema>;

const flag = z.union([z.literal(0), z.literal(1)]).nullable();
export const PhoneTypeSchema = z.enum(['mobile', 'fixed', 'fixed_or_mobile', 'voip', 'toll_free', 'premium', 'shared_cost', 'other']);

export const ValidatedColumnsSchema = z.object({
  email_clean: cell,
  email_norm: cell,
  email_valid: flag,
  email_suggestion: cell,
  email_disposable: flag,
  email_role: flag,
  phone_e164: z.string().regex(/^\+\d{6,15}$/).nullable(),
  phone_type: PhoneTypeSchema.nullable(),
  mobile_e164: z.string().regex(/^\+\d{6,15}$/).nullable(),
  mobile_type: PhoneTypeSchema.nullable(),
  sms_e164: z.string().regex(/^\+\d{6,15}$/).nullable(),
  postal_code_norm: cell,
  country_code: z.string().regex(/^[A-Z]{2}$/).nullable(),
  city_norm: cell,
  address_complete: z.union([z.literal(0), z.literal(1)]),
  first_name_norm: cell,
  last_name_norm: cell,
  civility_norm: z.enum(['M.', 'Mme']).nullable(),
  gender_norm: z.enum(['male', 'female', 'other']).nullable(),
  siret_norm: z.string().regex(/^(?:\d{9}|\d{14})$/).nullable(),
  completeness: z.number().int().min(0).max(100),
  /** JSON array of "field:code". */
  validation_issues: z.string(),
});
export type ValidatedColumns = z.infer<typeof ValidatedColumnsSchema>;
export const VALIDATED_COLUMNS = Object.keys(ValidatedColumnsSchema.shape) as Array<keyof ValidatedColumns>;

/** A zod string schema that accepts what a field rule accepts and outputs its normalised value. */
function ruled<N>(check: (value: string) => FieldCheck<N>) {
  return z.string().transform((value, ctx) => {
    const result = check(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.issue?.message ?? 'invalid' });
      return z.NEVER;
    }
    return result.normalised;
  });
}

/** Field schemas for anyone reading values from outside (import mapping, export filters, decision files). */
export const fields = {
  email: ruled(checkEmail),
  phone: (country = 'FR') => ruled((v) => checkPhone(v, country)),
  postalCode: (country = 'FR') => ruled((v) => checkPostalCode(v, country)),
  country: ruled(checkCountry),
  siret: ruled(checkSiret),
  birthDate: (today: string) => ruled((v) => checkBirthDate(v, today)),
};

/** A contact as a mailing tool needs it: at least one way to reach the person. */
export const ReachableContactSchema = z
  .object({ email: fields.email.nullable(), phone: fields.phone().nullable(), postal_code: fields.postalCode().nullable() })
  .refine((c) => c.email !== null || c.phone !== null || c.postal_code !== null, { message: 'no email, phone or postal code' });

export const ConsentSchema = z.object({
  channel: z.enum(['email', 'sms', 'phone', 'post']),
  status: z.enum(['granted', 'withdrawn']),
  recorded_at: z.string().regex(/^\d{4}-\d{2}-\d{2}/),
});

export const PurchaseSchema = z.object({
  order_ref: z.string().min(1),
  ordered_at: z.string().regex(/^\d{4}-\d{2}-\d{2}/),
  amount_minor: z.number().int(),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
