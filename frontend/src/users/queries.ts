/** Dashboard users, for owners and admins. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type User, type UserCreate, type UserUpdate } from "../api/client";
import { ME_KEY } from "../auth/session";

export const USERS_KEY = ["users"] as const;

export function useUsers({ enabled }: { enabled: boolean }) {
  return useQuery({
    queryKey: USERS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/users")),
    enabled,
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UserCreate) => unwrap(api.POST("/api/v1/users", { body })),
    onSuccess: (created) => {
      queryClient.setQueryData<User[]>(USERS_KEY, (users) =>
        users ? [...users, created] : [created],
      );
    },
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: UserUpdate }) =>
      unwrap(api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: (updated) => {
      queryClient.setQueryData<User[]>(USERS_KEY, (users) =>
        users?.map((user) => (user.id === updated.id ? updated : user)),
      );
      // Changing one's own role changes what the dashboard shows.
      queryClient.setQueryData<User | null>(ME_KEY, (me) => (me?.id === updated.id ? updated : me));
    },
  });
}
