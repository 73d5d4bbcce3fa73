/** The campaigns API's shapes, mirroring `surgiai/campaigns/schemas.py` until the endpoints are
 * in the generated client (`make api-client`). */

export type CampaignStatus =
  "draft" | "scheduled" | "running" | "paused" | "completed" | "cancelled";
export type CampaignKind = "template" | "text";
export type RecipientState = "pending" | "sending" | "sent" | "failed" | "skipped" | "cancelled";

export const DOCTOR_FIELDS = [
  "name",
  "first_name",
  "specialty",
  "city",
  "state",
  "hospital",
  "email",
  "registration_number",
] as const;
export type DoctorField = (typeof DOCTOR_FIELDS)[number];

export type ValueSource = {
  field?: DoctorField | null;
  value?: string | null;
  fallback?: string | null;
};

export type ParameterComponent = "header" | "body" | "button";

export type VariantIn = {
  key?: string;
  share?: number;
  template_name?: string | null;
  language?: string | null;
  parameters?: { [component in ParameterComponent]?: { [variable: string]: ValueSource } };
  text?: string | null;
};

export type CampaignCreate = {
  name: string;
  kind: CampaignKind;
  segment_id: number;
  variants: VariantIn[];
  header_media_file_id?: number | null;
  scheduled_at?: string | null;
  quiet_start_minute?: number | null;
  quiet_end_minute?: number | null;
};

export type RecipientCounts = {
  total: number;
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  skipped: number;
  cancelled: number;
  delivered: number;
  read: number;
  replied: number;
  deferred: number;
};

export type Campaign = {
  id: number;
  name: string;
  status: CampaignStatus;
  kind: CampaignKind;
  segment_id: number | null;
  segment_name: string | null;
  variants: VariantIn[];
  header_media_file_id: number | null;
  scheduled_at: string | null;
  quiet_start_minute: number | null;
  quiet_end_minute: number | null;
  time_zone: string;
  created_by_user_id: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  paused_reason: string | null;
  forecast_finish_at: string | null;
  counts: RecipientCounts;
};

export type CampaignPage = { items: Campaign[]; next_cursor: number | null };

export type NumberPlan = {
  number_id: number;
  label: string;
  quality_rating: string;
  messaging_tier: string | null;
  rate_per_second: number;
  recipients: number;
  excluded_reason?: string | null;
};

export type RecipientPreview = {
  doctor_id: number;
  doctor_name: string;
  variant: string;
  number_id: number | null;
  text: string;
  skip_reason?: string | null;
};

export type CampaignPlan = {
  recipients: number;
  skipped: { [reason: string]: number };
  numbers: NumberPlan[];
  deferred: number;
  tier_budget: number | null;
  forecast_seconds: number;
  forecast_finish_at: string;
  quiet_hours_pause: boolean;
  samples: RecipientPreview[];
  problems: string[];
};

export type Recipient = {
  id: number;
  doctor_id: number;
  doctor_name: string;
  wa_id: string | null;
  variant: string;
  number_id: number | null;
  state: RecipientState;
  message_status: string | null;
  message_id: number | null;
  reason: string | null;
  error_code: number | null;
  not_before: string | null;
  sent_at: string | null;
  replied_at: string | null;
};

export type RecipientPage = { items: Recipient[]; next_cursor: number | null };

export type RetryResult = { requeued: number };

export type ResultRow = {
  key: string;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
};

export type CostLine = { category: string; country: string; messages: number; amount: number };

export type CampaignResults = {
  counts: RecipientCounts;
  by_variant: ResultRow[];
  by_number: ResultRow[];
  failed_by_reason: { [reason: string]: number };
  skipped_by_reason: { [reason: string]: number };
  opted_out_after: number;
  cost: CostLine[];
  currency: string;
  estimated_cost: number;
};

export type CampaignProgress = {
  id: number;
  status: CampaignStatus;
  counts: RecipientCounts;
  paused_reason: string | null;
};
