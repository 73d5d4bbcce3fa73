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
import { api, unwrap } from "../api/client";
import { useFallbackPolling } from "../realtime/connection";
import type {
  Campaign,
  CampaignCreate,
  CampaignPage,
  CampaignProgress,
  CampaignStatus,
  RecipientState,
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

const path = (id: number) => ({ params: { path: { campaign_id: id } } });

export const campaignsApi = {
  list: (status: CampaignStatus | null, cursor: number | null) =>
    unwrap(
      api.GET("/api/v1/campaigns", {
        params: { query: { limit: PAGE_SIZE, cursor, status } },
      }),
    ),
  get: (id: number) => unwrap(api.GET("/api/v1/campaigns/{campaign_id}", path(id))),
  create: (body: CampaignCreate) => unwrap(api.POST("/api/v1/campaigns", { body })),
  plan: (body: CampaignCreate) => unwrap(api.POST("/api/v1/campaigns/plan", { body })),
  start: (id: number) => unwrap(api.POST("/api/v1/campaigns/{campaign_id}/start", path(id))),
  pause: (id: number) => unwrap(api.POST("/api/v1/campaigns/{campaign_id}/pause", path(id))),
  resume: (id: number) => unwrap(api.POST("/api/v1/campaigns/{campaign_id}/resume", path(id))),
  cancel: (id: number) => unwrap(api.POST("/api/v1/campaigns/{campaign_id}/cancel", path(id))),
  retryFailed: (id: number, reasons: string[]) =>
    unwrap(
      api.POST("/api/v1/campaigns/{campaign_id}/retry-failed", {
        ...path(id),
        body: { reasons },
      }),
    ),
  recipients: (id: number, state: RecipientState | null, cursor: number | null) =>
    unwrap(
      api.GET("/api/v1/campaigns/{campaign_id}/recipients", {
        params: {
          path: { campaign_id: id },
          query: { state, cursor, limit: RECIPIENTS_PAGE_SIZE },
        },
      }),
    ),
  results: (id: number) => unwrap(api.GET("/api/v1/campaigns/{campaign_id}/results", path(id))),
};

const BASE = "/api/v1/campaigns";
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
