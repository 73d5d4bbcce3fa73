/** Who is signed in: `['me']` holds the user, or null when nobody is. */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, hasSessionCookie, isApiError, unwrap, type User } from "../api/client";

export const ME_KEY = ["me"] as const;

async function fetchMe(): Promise<User | null> {
  // Without the CSRF cookie there is no session: skip a request that could only answer 401.
  if (!hasSessionCookie()) return null;
  try {
    return await unwrap(api.GET("/api/v1/auth/me"));
  } catch (error) {
    if (isApiError(error, 401)) return null;
    throw error;
  }
}

export function useMe() {
  return useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: Infinity, retry: false });
}

/** The signed-in user, for components rendered inside the authenticated shell only. */
export function useCurrentUser(): User {
  const { data } = useMe();
  if (!data) throw new Error("useCurrentUser outside the signed-in area");
  return data;
}

/** Forget everything the previous user could see, and show the login page. */
export function signedOut(queryClient: QueryClient): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
  queryClient.setQueryData(ME_KEY, null);
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      unwrap(api.POST("/api/v1/auth/login", { body })),
    onSuccess: (answer) => {
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
      queryClient.setQueryData(ME_KEY, answer.user);
    },
  });
}

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/logout")),
    onSettled: () => signedOut(queryClient),
  });
}
