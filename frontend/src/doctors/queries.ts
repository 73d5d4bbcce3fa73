/** Doctors: the filtered list, a profile, its timeline and conversations, and edits. */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";
import {
  api,
  unwrap,
  type DoctorCreate,
  type DoctorPage,
  type DoctorUpdate,
  type LifecycleStage,
  type TimelinePage,
} from "../api/client";

export const DOCTORS_KEY = ["doctors"] as const;
const PAGE_SIZE = 50;

export const STAGES: readonly LifecycleStage[] = [
  "new",
  "engaged",
  "qualified",
  "customer",
  "dormant",
  "lost",
];

export type DoctorFilters = {
  q: string;
  specialty: string;
  city: string;
  tag: string;
  stage: LifecycleStage | null;
  consent: "opted_in" | "opted_out" | null;
  scoreMin: number | null;
  scoreMax: number | null;
};

export const NO_FILTERS: DoctorFilters = {
  q: "",
  specialty: "",
  city: "",
  tag: "",
  stage: null,
  consent: null,
  scoreMin: null,
  scoreMax: null,
};

/** The filters as the list and the export take them (empty ones left out). */
export function filterQuery(filters: DoctorFilters) {
  const text = (value: string) => value.trim() || undefined;
  return {
    q: text(filters.q),
    specialty: text(filters.specialty) ? [filters.specialty.trim()] : undefined,
    city: text(filters.city) ? [filters.city.trim()] : undefined,
    tag: text(filters.tag) ? [filters.tag.trim()] : undefined,
    stage: filters.stage ? [filters.stage] : undefined,
    consent: filters.consent ?? undefined,
    score_min: filters.scoreMin ?? undefined,
    score_max: filters.scoreMax ?? undefined,
  };
}

/** `/api/v1/doctors/export?format=…` with the list's current filters. */
export function exportUrl(format: "csv" | "xlsx", filters: DoctorFilters): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(filterQuery(filters))) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  return `/api/v1/doctors/export?${params.toString()}`;
}

export function useDoctors(filters: DoctorFilters) {
  return useInfiniteQuery<DoctorPage, Error, InfiniteData<DoctorPage>, unknown[], string | null>({
    queryKey: [...DOCTORS_KEY, "list", filters],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/doctors", {
          params: {
            query: { ...filterQuery(filters), limit: PAGE_SIZE, cursor: pageParam ?? undefined },
          },
        }),
      ),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

const path = (id: number) => ({ params: { path: { doctor_id: id } } });

export function useDoctor(id: number) {
  return useQuery({
    queryKey: [...DOCTORS_KEY, id],
    queryFn: () => unwrap(api.GET("/api/v1/doctors/{doctor_id}", path(id))),
  });
}

export function useTimeline(id: number) {
  return useInfiniteQuery<
    TimelinePage,
    Error,
    InfiniteData<TimelinePage>,
    unknown[],
    string | null
  >({
    queryKey: [...DOCTORS_KEY, id, "timeline"],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/doctors/{doctor_id}/timeline", {
          params: { path: { doctor_id: id }, query: { before: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useDoctorConversations(id: number) {
  return useQuery({
    queryKey: [...DOCTORS_KEY, id, "conversations"],
    queryFn: () => unwrap(api.GET("/api/v1/doctors/{doctor_id}/conversations", path(id))),
  });
}

export function useCreateDoctor() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: DoctorCreate) => unwrap(api.POST("/api/v1/doctors", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: DOCTORS_KEY }),
  });
}

export function useUpdateDoctor(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: DoctorUpdate) =>
      unwrap(api.PATCH("/api/v1/doctors/{doctor_id}", { ...path(id), body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: DOCTORS_KEY }),
  });
}

export function useDeleteDoctor() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/v1/doctors/{doctor_id}", path(id))),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: DOCTORS_KEY }),
  });
}
