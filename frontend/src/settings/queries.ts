/** The workspace's settings (every role reads them, owners and admins change them) and the
 * signed-in user's own account. `settings.updated` events keep the cache live. */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import {
  api,
  unwrap,
  type AccountUpdate,
  type PasswordChange,
  type Template,
  type User,
  type WorkspaceSettings,
  type WorkspaceSettingsUpdate,
} from "../api/client";
import { ME_KEY } from "../auth/session";
import { useFallbackPolling } from "../realtime/connection";

export const SETTINGS_KEY = ["settings"] as const;
export const APPROVED_TEMPLATES_KEY = ["templates", "approved"] as const;

export function useWorkspaceSettings() {
  return useQuery({
    queryKey: SETTINGS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/settings")),
    refetchInterval: useFallbackPolling(),
  });
}

/** What a `settings.updated` event or a save brings: the whole settings, as the API reads them. */
export function storeSettings(queryClient: QueryClient, settings: WorkspaceSettings): void {
  queryClient.setQueryData<WorkspaceSettings>(SETTINGS_KEY, settings);
}

export function useUpdateWorkspaceSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: WorkspaceSettingsUpdate) => unwrap(api.PATCH("/api/v1/settings", { body })),
    onSuccess: (saved) => storeSettings(queryClient, saved),
  });
}

export function useApprovedTemplates({ enabled }: { enabled: boolean }) {
  return useQuery({
    queryKey: APPROVED_TEMPLATES_KEY,
    queryFn: async (): Promise<Template[]> => {
      const page = await unwrap(
        api.GET("/api/v1/templates", { params: { query: { status: "APPROVED" } } }),
      );
      return page.items;
    },
    enabled,
  });
}

export function useUpdateAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AccountUpdate) => unwrap(api.PATCH("/api/v1/auth/me", { body })),
    onSuccess: (me) => queryClient.setQueryData<User | null>(ME_KEY, me),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: PasswordChange) => unwrap(api.POST("/api/v1/auth/me/password", { body })),
  });
}

/** Ask WhatsApp for every number's templates now (they also sync every hour); the list is
 * fetched again once the sync has had time to run. */
export function useSyncTemplates() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/templates/sync")),
    onSuccess: () => {
      setTimeout(
        () => void queryClient.invalidateQueries({ queryKey: APPROVED_TEMPLATES_KEY }),
        SYNC_SETTLE_MS,
      );
    },
  });
}

const SYNC_SETTLE_MS = 5_000;
