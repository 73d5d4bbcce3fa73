/** The approval queue: AI replies waiting for a person. */
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorDetail, unwrap, type Draft, type DraftPage } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { useFallbackPolling } from "../realtime/connection";

export const PENDING_DRAFTS_KEY = ["drafts", "pending"] as const;

export function usePendingDrafts() {
  const poll = useFallbackPolling();
  return useQuery({
    queryKey: PENDING_DRAFTS_KEY,
    queryFn: () =>
      unwrap(api.GET("/api/v1/drafts", { params: { query: { status: "pending", limit: 100 } } })),
    refetchInterval: poll,
  });
}

/** How many drafts wait, for the navigation; nothing for those who cannot decide them. */
export function usePendingCount(): number | null {
  const user = useCurrentUser();
  const allowed = can(user, "converse");
  const poll = useFallbackPolling();
  const { data } = useQuery({
    queryKey: PENDING_DRAFTS_KEY,
    queryFn: () =>
      unwrap(api.GET("/api/v1/drafts", { params: { query: { status: "pending", limit: 100 } } })),
    refetchInterval: poll,
    enabled: allowed,
  });
  return allowed && data ? data.items.length : null;
}

function removeDecided(queryClient: ReturnType<typeof useQueryClient>, draft: Draft) {
  queryClient.setQueryData<DraftPage>(PENDING_DRAFTS_KEY, (page) =>
    page ? { ...page, items: page.items.filter((d) => d.id !== draft.id) } : page,
  );
}

export function useApprove() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, text }: { id: number; text?: string }) =>
      unwrap(
        api.POST("/api/v1/drafts/{draft_id}/approve", {
          params: { path: { draft_id: id } },
          body: text === undefined ? null : { type: "text", text: { body: text } },
        }),
      ),
    // Said here, not by the card: the live event may remove the card before the answer comes.
    onSuccess: (draft) => {
      removeDecided(queryClient, draft);
      notifications.show({
        color: "teal",
        message: `${draft.edited_payload ? "Your edit was sent" : "Sent"} to ${draft.doctor.display_name}.`,
      });
    },
    onError: (error) =>
      notifications.show({ color: "red", title: "Not sent", message: errorDetail(error) }),
  });
}

export function useReject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, reason }: { id: number; reason: string }) =>
      unwrap(
        api.POST("/api/v1/drafts/{draft_id}/reject", {
          params: { path: { draft_id: id } },
          body: { reason: reason || null },
        }),
      ),
    onSuccess: (draft) => removeDecided(queryClient, draft),
  });
}
