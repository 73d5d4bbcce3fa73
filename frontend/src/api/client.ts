/**
 * The typed API client: `openapi-fetch` over the types generated from the backend's OpenAPI
 * (`make api-client` regenerates `schema.ts`). Cookie sessions: every write echoes the readable
 * `surgiai_csrf` cookie in `X-CSRF-Token`. Errors become `ApiError` carrying the server's
 * `detail`, which is what the user is shown.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type User = Schemas["UserRead"];
export type Role = Schemas["Role"];
export type WhatsAppNumber = Schemas["NumberRead"];
export type NumberHealth = Schemas["NumberHealth"];
export type NumberCreate = Schemas["NumberCreate"];
export type NumberUpdate = Schemas["NumberUpdate"];
export type UserCreate = Schemas["UserCreate"];
export type UserUpdate = Schemas["UserUpdate"];
export type Conversation = Schemas["ConversationRead"];
export type ConversationPage = Schemas["ConversationPage"];
export type ConversationUpdate = Schemas["ConversationUpdate"];
export type ConversationMode = Conversation["mode"];
export type Message = Schemas["MessageRead"];
export type MessagePage = Schemas["MessagePage"];
export type MessageCreate = Schemas["ThreadMessageCreate"];
export type Preview = Schemas["Preview"];
export type Note = Schemas["NoteRead"];
export type Draft = Schemas["DraftRead"];
export type DraftContextMessage = Schemas["DraftContextMessage"];
export type DraftPage = Schemas["DraftPage"];
export type Template = Schemas["TemplateRead"];
export type Notification = Schemas["NotificationRead"];
export type NotificationPage = Schemas["NotificationPage"];
export type AgentsOverview = Schemas["AgentsOverview"];
export type Agent = Schemas["AgentRead"];
export type Worker = Schemas["WorkerRead"];
export type CrashReport = Schemas["CrashReportRead"];
export type CrashReportPage = Schemas["CrashReportPage"];
export type TrafficStats = Schemas["TrafficStats"];
export type TrafficDay = Schemas["TrafficDay"];
export type WorkspaceSettings = Schemas["WorkspaceSettingsRead"];
export type WorkspaceSettingsUpdate = Schemas["WorkspaceSettingsUpdate"];
export type AccountUpdate = Schemas["AccountUpdate"];
export type Faq = Schemas["FaqRead"];
export type FaqUpdate = Schemas["FaqUpdate"];
export type FaqApprove = Schemas["FaqApprove"];
export type PasswordChange = Schemas["PasswordChange"];
export type KnowledgeDocument = Schemas["DocumentRead"];
export type DocumentPage = Schemas["DocumentPage"];
export type DocumentChunks = Schemas["DocumentChunks"];
export type Product = Schemas["ProductRead"];
export type ProductPage = Schemas["ProductPage"];
export type ProductCreate = Schemas["ProductCreate"];
export type ProductUpdate = Schemas["ProductUpdate"];
export type Course = Schemas["CourseRead"];
export type CoursePage = Schemas["CoursePage"];
export type CourseCreate = Schemas["CourseCreate"];
export type CourseUpdate = Schemas["CourseUpdate"];
export type ImportReport = Schemas["ImportReport"];
export type DoctorFilter = Schemas["DoctorFilter"];
export type LifecycleStage = Schemas["LifecycleStage"];
export type Segment = Schemas["SegmentRead"];
export type SegmentMembers = Schemas["SegmentMembers"];
export type ConsentLedger = Schemas["ConsentLedger"];
export type DoctorImport = Schemas["DoctorImportRead"];
export type DoctorImportPreview = Schemas["ImportPreviewRead"];
export type Doctor = Schemas["DoctorRead"];
export type DoctorPage = Schemas["DoctorPage"];
export type DoctorCreate = Schemas["DoctorCreate"];
export type DoctorUpdate = Schemas["DoctorUpdate"];
export type TimelineItem = Schemas["TimelineItem"];
export type TimelinePage = Schemas["TimelinePage"];
export type DoctorConversation = Schemas["DoctorConversation"];

export const CSRF_COOKIE = "surgiai_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const NETWORK_ERROR_DETAIL =
  "Can't reach SurgiAI. Check your connection and that the server is running, then try again.";

export function readCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** The CSRF cookie lives exactly as long as the session cookie, which script cannot see. */
export function hasSessionCookie(): boolean {
  return readCookie(CSRF_COOKIE) !== null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;

  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** What to tell the user about any error. */
export function errorDetail(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method)) {
      const token = readCookie(CSRF_COOKIE);
      if (token) request.headers.set(CSRF_HEADER, token);
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: "same-origin",
  // Looked up on each call, so tests can replace the global fetch.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(csrf);

function fromBody(status: number, body: unknown): ApiError {
  if (body && typeof body === "object") {
    const { error, detail } = body as { error?: unknown; detail?: unknown };
    const code = typeof error === "string" ? error : `HTTP${status}`;
    if (typeof detail === "string" && detail) return new ApiError(status, code, detail);
  }
  return new ApiError(status, `HTTP${status}`, `The server answered ${status}. Try again.`);
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** Await an `api` call: its data, or an `ApiError` with the server's detail. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (error) {
    if (error instanceof TypeError) throw new ApiError(0, "NetworkError", NETWORK_ERROR_DETAIL);
    throw error;
  }
  if (!answer.response.ok) throw fromBody(answer.response.status, answer.error);
  return answer.data as T;
}
