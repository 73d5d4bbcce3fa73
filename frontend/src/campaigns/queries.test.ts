import { QueryClient, type InfiniteData } from "@tanstack/react-query";
import { CAMPAIGN_LIST_KEY, campaignKey, storeProgress } from "./queries";
import type { Campaign, CampaignPage, RecipientCounts } from "./types";

const counts: RecipientCounts = {
  total: 10,
  pending: 10,
  sending: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  cancelled: 0,
  delivered: 0,
  read: 0,
  replied: 0,
  deferred: 0,
};

function aCampaign(id: number): Campaign {
  return {
    id,
    name: `Campaign ${id}`,
    status: "running",
    kind: "text",
    segment_id: 1,
    segment_name: "Pune surgeons",
    variants: [{ key: "A", share: 100, text: "Hello {name}" }],
    header_media_file_id: null,
    scheduled_at: null,
    quiet_start_minute: null,
    quiet_end_minute: null,
    time_zone: "Asia/Kolkata",
    created_by_user_id: 1,
    created_at: "2026-12-07T09:00:00+00:00",
    started_at: "2026-12-07T09:00:00+00:00",
    finished_at: null,
    paused_reason: null,
    forecast_finish_at: null,
    counts,
  };
}

describe("campaign.progress", () => {
  it("updates the campaign and its row in every list, in place", () => {
    const queryClient = new QueryClient();
    const listKey = [...CAMPAIGN_LIST_KEY, null];
    queryClient.setQueryData<InfiniteData<CampaignPage>>(listKey, {
      pages: [{ items: [aCampaign(1), aCampaign(2)], next_cursor: null }],
      pageParams: [null],
    });
    queryClient.setQueryData(campaignKey(2), aCampaign(2));
    const progress = {
      id: 2,
      status: "paused" as const,
      counts: { ...counts, pending: 6, sent: 4 },
      paused_reason: "Paused by Olivia Owner",
    };

    expect(storeProgress(queryClient, progress)).toBe(true);

    const row = queryClient.getQueryData<InfiniteData<CampaignPage>>(listKey)!.pages[0]!.items[1]!;
    expect(row).toMatchObject(progress);
    expect(row.name).toBe("Campaign 2");
    expect(queryClient.getQueryData<Campaign>(campaignKey(2))).toMatchObject(progress);
    expect(queryClient.getQueryData<Campaign>(campaignKey(1))).toBeUndefined();
  });

  it("says when no list shows the campaign yet, and caches no half campaign", () => {
    const queryClient = new QueryClient();
    expect(
      storeProgress(queryClient, { id: 9, status: "running", counts, paused_reason: null }),
    ).toBe(false);
    expect(queryClient.getQueryData(campaignKey(9))).toBeUndefined();
  });
});
