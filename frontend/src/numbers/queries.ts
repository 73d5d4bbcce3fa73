/** WhatsApp numbers: the list every page shares, and the changes admins make. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  api,
  unwrap,
  type NumberCreate,
  type NumberUpdate,
  type WhatsAppNumber,
} from "../api/client";
import { useFallbackPolling } from "../realtime/connection";

export const NUMBERS_KEY = ["numbers"] as const;

export function useNumbers() {
  return useQuery({
    queryKey: NUMBERS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/numbers")),
    refetchInterval: useFallbackPolling(),
  });
}

function useReplaceNumber() {
  const queryClient = useQueryClient();
  return (updated: WhatsAppNumber) => {
    queryClient.setQueryData<WhatsAppNumber[]>(NUMBERS_KEY, (numbers) =>
      numbers?.map((number) => (number.id === updated.id ? updated : number)),
    );
  };
}

export function useCreateNumber() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: NumberCreate) => unwrap(api.POST("/api/v1/numbers", { body })),
    onSuccess: (created) => {
      queryClient.setQueryData<WhatsAppNumber[]>(NUMBERS_KEY, (numbers) =>
        numbers ? [...numbers, created] : [created],
      );
      // Its health check was queued on creation; pick up the result shortly.
      scheduleRecheck(() => queryClient.invalidateQueries({ queryKey: NUMBERS_KEY }));
    },
  });
}

export function useUpdateNumber() {
  const replace = useReplaceNumber();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: NumberUpdate }) =>
      unwrap(
        api.PATCH("/api/v1/numbers/{number_id}", { params: { path: { number_id: id } }, body }),
      ),
    onSuccess: (updated, { body }) => {
      replace(updated);
      if (body.paused === false || body.access_token) {
        scheduleRecheck(() => queryClient.invalidateQueries({ queryKey: NUMBERS_KEY }));
      }
    },
  });
}

export function useRefreshNumber() {
  const replace = useReplaceNumber();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/v1/numbers/{number_id}/refresh", { params: { path: { number_id: id } } }),
      ),
    onSuccess: (number) => {
      replace(number);
      scheduleRecheck(() => queryClient.invalidateQueries({ queryKey: NUMBERS_KEY }));
    },
  });
}

export function useDeleteNumber() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/v1/numbers/{number_id}", { params: { path: { number_id: id } } })),
    onSuccess: (_, id) => {
      queryClient.setQueryData<WhatsAppNumber[]>(NUMBERS_KEY, (numbers) =>
        numbers?.filter((number) => number.id !== id),
      );
    },
  });
}

/** Health checks run as tasks; without a live connection, look again after they had time. */
const RECHECK_MS = 2_500;
function scheduleRecheck(recheck: () => unknown): void {
  setTimeout(recheck, RECHECK_MS);
}
