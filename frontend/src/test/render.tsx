/** Render a component the way the app does: Mantine, TanStack Query and a router. */
import { QueryClient } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { UserEvent } from "@testing-library/user-event";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import type { User, WhatsAppNumber } from "../api/client";
import { Providers } from "../App";
import { ME_KEY } from "../auth/session";
import { NUMBERS_KEY } from "../numbers/queries";

export function renderWithProviders(
  ui: ReactElement,
  {
    user,
    numbers,
    route = "/",
  }: { user?: User | null; numbers?: WhatsAppNumber[]; route?: string } = {},
) {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } },
  });
  if (user !== undefined) queryClient.setQueryData(ME_KEY, user);
  if (numbers) queryClient.setQueryData(NUMBERS_KEY, numbers);
  const view = render(
    <Providers queryClient={queryClient}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </Providers>,
  );
  return { ...view, queryClient };
}

/** Type into a field the fast way: focus it and paste, as a person pasting would. */
export async function fill(user: UserEvent, field: HTMLElement, text: string): Promise<void> {
  await user.click(field);
  await user.paste(text);
}
