/** The campaigns API's shapes, from the generated client (`surgiai/campaigns/schemas.py`). */
import type { Schemas } from "../api/client";
import type { components as EventSchemas } from "../api/events";

export type CampaignStatus = Schemas["CampaignStatus"];
export type CampaignKind = Schemas["CampaignKind"];
export type RecipientState = Schemas["RecipientState"];
export type ValueSource = Schemas["ValueSource"];
export type VariantIn = Schemas["VariantIn"];
export type CampaignCreate = Schemas["CampaignCreate"];
export type RecipientCounts = Schemas["RecipientCounts"];
export type Campaign = Schemas["CampaignRead"];
export type CampaignPage = Schemas["CampaignPage"];
export type NumberPlan = Schemas["NumberPlan"];
export type RecipientPreview = Schemas["RecipientPreview"];
export type CampaignPlan = Schemas["CampaignPlan"];
export type Recipient = Schemas["RecipientRead"];
export type RecipientPage = Schemas["RecipientPage"];
export type RetryResult = Schemas["RetryResult"];
export type ResultRow = Schemas["ResultRow"];
export type CostLine = Schemas["CostLine"];
export type CampaignResults = Schemas["CampaignResults"];
export type CampaignProgress = EventSchemas["schemas"]["CampaignProgress"];

export type DoctorField = NonNullable<ValueSource["field"]>;
/** The doctor's fields a variable or a free text's `{field}` may name, in the form's order. */
export const DOCTOR_FIELDS: readonly DoctorField[] = [
  "name",
  "first_name",
  "specialty",
  "city",
  "state",
  "hospital",
  "email",
  "registration_number",
];

/** Where a template's variables go in a variant's `parameters`. */
export type ParameterComponent = "header" | "body" | "button";
