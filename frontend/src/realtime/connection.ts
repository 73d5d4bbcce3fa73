/** The live connection's state, for components that adapt to it. */
import { createContext, useContext } from "react";
import type { ConnectionState } from "./socket";

export const ConnectionContext = createContext<ConnectionState>("offline");

export function useConnectionState(): ConnectionState {
  return useContext(ConnectionContext);
}

/** How often lists refresh themselves while the live connection is down. */
export const FALLBACK_POLL_MS = 30_000;

export function useFallbackPolling(): number | false {
  return useConnectionState() === "live" ? false : FALLBACK_POLL_MS;
}
