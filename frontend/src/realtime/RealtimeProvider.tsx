/** Keeps one live connection open while someone is signed in, and exposes its state. */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { ME_KEY } from "../auth/session";
import { ConnectionContext } from "./connection";
import { applyIncoming } from "./events";
import { RealtimeClient, realtimeUrl, type ConnectionState } from "./socket";

export function RealtimeProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ConnectionState>("connecting");

  useEffect(() => {
    const client = new RealtimeClient({
      url: realtimeUrl(),
      onEvent: (event) => applyIncoming(queryClient, event),
      onState: setState,
      // Whatever changed while we were not listening: fetch what is on screen again.
      onHello: () =>
        void queryClient.invalidateQueries({
          predicate: (query) => query.queryKey[0] !== ME_KEY[0],
        }),
      // The login ended (logout elsewhere, expiry, deactivation): `me` then answers 401.
      onSessionEnded: () => void queryClient.invalidateQueries({ queryKey: ME_KEY }),
    });
    client.start();
    return () => client.stop();
  }, [queryClient]);

  return <ConnectionContext.Provider value={state}>{children}</ConnectionContext.Provider>;
}
