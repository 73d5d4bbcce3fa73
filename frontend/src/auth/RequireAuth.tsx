/** Only signed-in users get past this; everyone else is sent to the login page. */
import { Center } from "@mantine/core";
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ErrorState, LoadingState } from "../components/states";
import { useMe } from "./session";

export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();

  if (me.isPending) return <LoadingState label="Loading your dashboard…" />;
  if (me.isError) {
    return (
      <Center mih="100vh" p="md">
        <ErrorState
          title="The dashboard could not start"
          error={me.error}
          onRetry={() => void me.refetch()}
        />
      </Center>
    );
  }
  if (!me.data) {
    const from = `${location.pathname}${location.search}`;
    return <Navigate to="/login" replace state={from === "/" ? null : { from }} />;
  }
  return children;
}
