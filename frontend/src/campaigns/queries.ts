/** Campaigns: the list, one campaign with its results and recipients, the planner's forecast,
 * and the actions. `campaign.progress` events update what is cached in place. */
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";
import { useCallback, useRef } from "react";
import {
  ApiError,
  CSRF_COOKIE,
  CSRF_HEADER,
  NETWORK_ERROR_DETAIL,
  readCookie,
} from "../api/client";
import { useFallbackPolling } from "../realtime/connection";
import type {
  Campaign,
  CampaignCreate,
  CampaignPage,
  CampaignPlan,
  CampaignProgress,
  CampaignResults,
  CampaignStatus,
  RecipientPage,
  RecipientState,
  RetryResult,
} from "./types";

export const CAMPAIGNS_KEY = ["campaigns"] as const;
export const CAMPAIGN_LIST_KEY = [...CAMPAIGNS_KEY, "list"] as const;
export const campaignKey = (id: number) => [...CAMPAIGNS_KEY, "detail", id] as const;
export const resultsKey = (id: number) => [...CAMPAIGNS_KEY, "results", id] as const;
export const recipientsKey = (id: number, state?: RecipientState | null) =>
  state === undefined
    ? ([...CAMPAIGNS_KEY, "recipients", id] as const)
    : ([...CAMPAIGNS_KEY, "recipients", id, state] as const);

export const PAGE_SIZE = 50;
export const RECIPIENTS_PAGE_SIZE = 50;

type Method = "GET" | "POST";

/** The campaigns endpoints, as the typed client would call them: JSON in and out, the CSRF token
 * on writes, an `ApiError` with the server's `detail` on a refusal. */
async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers = new Headers({ Accept: "application/json" });
  if (body !== undefined) headers.set("Content-Type", "application/json");
  if (method !== "GET") {
    const token = readCookie(CSRF_COOKIE);
    if (token) headers.set(CSRF_HEADER, token);
  }
  let response: Response;
  try {
    response = await globalThis.fetch(
      new Request(new URL(path, window.location.origin), {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  } catch (error) {
    if (error instanceof TypeError) throw new ApiError(0, "NetworkError", NETWORK_ERROR_DETAIL);
    throw error;
  }
  const answer: unknown = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const { error, detail } = (answer ?? {}) as { error?: unknown; detail?: unknown };
    const code = typeof error === "string" ? error : `HTTP${response.status}`;
    const text =
      typeof detail === "string" && detail
        ? detail
        : `The server answered ${response.status}. Try again.`;
    throw new ApiError(response.status, code, text);
  }
  return answer as T;
}

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const BASE = "/api/v1/campaigns";

export const campaignsApi = {
  list: (status: CampaignStatus | null, cursor: number | null) =>
    call<CampaignPage>("GET", `${BASE}${query({ limit: PAGE_SIZE, cursor, status })}`),
  get: (id: number) => call<Campaign>("GET", `${BASE}/${id}`),
  create: (body: CampaignCreate) => call<Campaign>("POST", BASE, body),
  plan: (body: CampaignCreate) => call<CampaignPlan>("POST", `${BASE}/plan`, body),
  start: (id: number) => call<Campaign>("POST", `${BASE}/${id}/start`),
  pause: (id: number) => call<Campaign>("POST", `${BASE}/${id}/pause`),
  resume: (id: number) => call<Campaign>("POST", `${BASE}/${id}/resume`),
  cancel: (id: number) => call<Campaign>("POST", `${BASE}/${id}/cancel`),
  retryFailed: (id: number, reasons: string[]) =>
    call<RetryResult>("POST", `${BASE}/${id}/retry-failed`, { reasons }),
  recipients: (id: number, state: RecipientState | null, cursor: number | null) =>
    call<RecipientPage>(
      "GET",
      `${BASE}/${id}/recipients${query({ state, cursor, limit: RECIPIENTS_PAGE_SIZE })}`,
    ),
  results: (id: number) => call<CampaignResults>("GET", `${BASE}/${id}/results`),
};

export const exportUrl = (id: number) => `${BASE}/${id}/export`;

export function useCampaigns(status: CampaignStatus | null) {
  return useInfiniteQuery({
    queryKey: [...CAMPAIGN_LIST_KEY, status],
    queryFn: ({ pageParam }) => campaignsApi.list(status, pageParam),
    initialPageParam: null as number | null,
    getNextPageParam: (page) => page.next_cursor,
    refetchInterval: useFallbackPolling(),
  });
}

export function useCampaign(id: number) {
  return useQuery({
    queryKey: campaignKey(id),
    queryFn: () => campaignsApi.get(id),
    refetchInterval: useFallbackPolling(),
  });
}

export function useCampaignResults(id: number) {
  return useQuery({
    queryKey: resultsKey(id),
    queryFn: () => campaignsApi.results(id),
    refetchInterval: useFallbackPolling(),
  });
}

export function useRecipients(id: number, state: RecipientState | null) {
  return useInfiniteQuery({
    queryKey: recipientsKey(id, state),
    queryFn: ({ pageParam }) => campaignsApi.recipients(id, state, pageParam),
    initialPageParam: null as number | null,
    getNextPageParam: (page) => page.next_cursor,
    placeholderData: keepPreviousData,
  });
}

/** What starting the campaign now would do; asked again whenever the draft changes. */
export function usePlan(body: CampaignCreate | null) {
  return useQuery({
    queryKey: [...CAMPAIGNS_KEY, "plan", body],
    queryFn: () => campaignsApi.plan(body!),
    enabled: body !== null,
    staleTime: 0,
    placeholderData: keepPreviousData,
  });
}

/** A campaign as an answer or an event has it: the detail, and its row in every list. Returns
 * whether a list knew it. */
export function storeCampaign(
  queryClient: QueryClient,
  campaign: Pick<Campaign, "id"> & Partial<Campaign>,
): boolean {
  queryClient.setQueryData<Campaign>(campaignKey(campaign.id), (known) =>
    known
      ? { ...known, ...campaign }
      : (campaign as Campaign).name
        ? (campaign as Campaign)
        : known,
  );
  let listed = false;
  queryClient.setQueriesData<InfiniteData<CampaignPage>>(
    { queryKey: CAMPAIGN_LIST_KEY },
    (lists) => {
      if (!lists) return lists;
      return {
        ...lists,
        pages: lists.pages.map((page) => ({
          ...page,
          items: page.items.map((item) => {
            if (item.id !== campaign.id) return item;
            listed = true;
            return { ...item, ...campaign };
          }),
        })),
      };
    },
  );
  return listed;
}

export function storeProgress(queryClient: QueryClient, progress: CampaignProgress): boolean {
  const { id, status, counts, paused_reason } = progress;
  return storeCampaign(queryClient, { id, status, counts, paused_reason });
}

/** Run one request at a time: a second click while the first is on its way does nothing (the
 * button shows it is busy, but a double click lands before React has drawn that). */
export function useOneAtATime() {
  const busy = useRef(false);
  return useCallback(async <T>(task: () => Promise<T>): Promise<T | undefined> => {
    if (busy.current) return undefined;
    busy.current = true;
    try {
      return await task();
    } finally {
      busy.current = false;
    }
  }, []);
}

function useCampaignMutation<Input, Output>(
  mutationFn: (input: Input) => Promise<Output>,
  stored: (queryClient: QueryClient, output: Output, input: Input) => void,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: (output, input) => {
      stored(queryClient, output, input);
      void queryClient.invalidateQueries({ queryKey: CAMPAIGN_LIST_KEY });
    },
  });
}

function storeAnswer(queryClient: QueryClient, campaign: Campaign): void {
  queryClient.setQueryData(campaignKey(campaign.id), campaign);
  storeCampaign(queryClient, campaign);
  void queryClient.invalidateQueries({ queryKey: resultsKey(campaign.id) });
  void queryClient.invalidateQueries({ queryKey: recipientsKey(campaign.id) });
}

export function useCreateCampaign() {
  return useCampaignMutation(campaignsApi.create, storeAnswer);
}

export type CampaignAction = "start" | "pause" | "resume" | "cancel";

export function useCampaignAction(action: CampaignAction) {
  return useCampaignMutation((id: number) => campaignsApi[action](id), storeAnswer);
}

export function useRetryFailed() {
  return useCampaignMutation(
    ({ id, reasons }: { id: number; reasons: string[] }) => campaignsApi.retryFailed(id, reasons),
    (queryClient, _result, { id }) => {
      void queryClient.invalidateQueries({ queryKey: campaignKey(id) });
      void queryClient.invalidateQueries({ queryKey: resultsKey(id) });
      void queryClient.invalidateQueries({ queryKey: recipientsKey(id) });
    },
  );
}
