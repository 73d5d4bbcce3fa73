/** Segments: saved doctor filters with live counts, and the builder's count and preview. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type DoctorFilter } from "../api/client";

export const SEGMENTS_KEY = ["segments"] as const;
export const PREVIEW_SIZE = 10;

export function useSegments() {
  return useQuery({
    queryKey: SEGMENTS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/segments")),
  });
}

/** The count and first members of filters being built (unsaved). */
export function useSegmentPreview(filters: DoctorFilter) {
  return useQuery({
    queryKey: [...SEGMENTS_KEY, "preview", filters],
    queryFn: () =>
      unwrap(api.POST("/api/v1/segments/preview", { body: { filters, limit: PREVIEW_SIZE } })),
    // The count stays on screen while the next one loads, instead of flickering away.
    placeholderData: keepPreviousData,
  });
}

function useInvalidating<Input, Output>(mutationFn: (input: Input) => Promise<Output>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: SEGMENTS_KEY }),
  });
}

export function useCreateSegment() {
  return useInvalidating((body: { name: string; filters: DoctorFilter }) =>
    unwrap(api.POST("/api/v1/segments", { body })),
  );
}

export function useUpdateSegment() {
  return useInvalidating(
    ({ id, body }: { id: number; body: { name?: string; filters?: DoctorFilter } }) =>
      unwrap(
        api.PATCH("/api/v1/segments/{segment_id}", {
          params: { path: { segment_id: id } },
          body,
        }),
      ),
  );
}

export function useDeleteSegment() {
  return useInvalidating((id: number) =>
    unwrap(api.DELETE("/api/v1/segments/{segment_id}", { params: { path: { segment_id: id } } })),
  );
}
