/** The FAQ answers SurgiAI may give on its own, and the suggestions waiting for an admin. */
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorDetail, unwrap, type Faq, type FaqApprove, type FaqUpdate } from "../api/client";

export type FaqFilter = "suggested" | "approved" | "needs_review" | "rejected";

const FAQS_KEY = ["faqs"] as const;

export function useFaqs(filter: FaqFilter, q: string) {
  const query =
    filter === "needs_review"
      ? { status: "approved" as const, needs_review: true }
      : { status: filter };
  return useQuery({
    queryKey: [...FAQS_KEY, filter, q],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/faqs", {
          params: { query: { ...query, limit: 200, q: q.trim() || undefined } },
        }),
      ),
    // Suggestions arrive while doctors write; a minute-old list is still useful.
    refetchInterval: 15_000,
  });
}

function useFaqMutation<Input>(
  mutationFn: (input: Input) => Promise<unknown>,
  success: string | ((result: unknown) => string),
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: FAQS_KEY });
      notifications.show({
        color: "teal",
        message: typeof success === "string" ? success : success(result),
      });
    },
    onError: (error) =>
      notifications.show({ color: "red", title: "Not saved", message: errorDetail(error) }),
  });
}

export function useApproveFaq() {
  return useFaqMutation(
    ({ id, body }: { id: number; body: FaqApprove }) =>
      unwrap(
        api.POST("/api/v1/faqs/{entry_id}/approve", { params: { path: { entry_id: id } }, body }),
      ),
    (result) => {
      const outcome = result as { reply_message_id: number | null; reply_problem: string | null };
      if (outcome.reply_message_id) return "Approved, and the answer is on its way to the doctor.";
      if (outcome.reply_problem)
        return `Approved. Not sent to the doctor: ${outcome.reply_problem}`;
      return "Approved: SurgiAI answers this question from now on.";
    },
  );
}

export function useUpdateFaq() {
  return useFaqMutation(
    ({ id, body }: { id: number; body: FaqUpdate }) =>
      unwrap(api.PATCH("/api/v1/faqs/{entry_id}", { params: { path: { entry_id: id } }, body })),
    "Saved.",
  );
}

export function useCreateFaq() {
  return useFaqMutation(
    (body: { question: string; answer: string; phrasings: string[] }) =>
      unwrap(api.POST("/api/v1/faqs", { body })),
    "Added: SurgiAI answers this question from now on.",
  );
}

export function useRejectFaq() {
  return useFaqMutation(
    (entry: Faq) =>
      unwrap(
        api.POST("/api/v1/faqs/{entry_id}/reject", {
          params: { path: { entry_id: entry.id } },
        }),
      ),
    "Rejected.",
  );
}

export function useDeleteFaq() {
  return useFaqMutation(
    (entry: Faq) =>
      unwrap(api.DELETE("/api/v1/faqs/{entry_id}", { params: { path: { entry_id: entry.id } } })),
    "Deleted.",
  );
}
