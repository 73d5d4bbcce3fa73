/** Providers and routes. Pages load on demand so the first screen stays small. */
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Route, Routes } from "react-router";
import { isApiError } from "./api/client";
import { LoginPage } from "./auth/LoginPage";
import { RequireAuth } from "./auth/RequireAuth";
import { ME_KEY, signedOut } from "./auth/session";
import { LoadingState } from "./components/states";
import { RealtimeProvider } from "./realtime/RealtimeProvider";
import { AppLayout } from "./shell/AppLayout";
import { theme } from "./theme";

const OverviewPage = lazy(() =>
  import("./overview/OverviewPage").then((m) => ({ default: m.OverviewPage })),
);
const NumbersPage = lazy(() =>
  import("./numbers/NumbersPage").then((m) => ({ default: m.NumbersPage })),
);
const InboxPage = lazy(() => import("./inbox/InboxPage").then((m) => ({ default: m.InboxPage })));
const ApprovalsPage = lazy(() =>
  import("./approvals/ApprovalsPage").then((m) => ({ default: m.ApprovalsPage })),
);
const UsersPage = lazy(() => import("./users/UsersPage").then((m) => ({ default: m.UsersPage })));
const SettingsPage = lazy(() =>
  import("./settings/SettingsPage").then((m) => ({ default: m.SettingsPage })),
);
const AgentsPage = lazy(() =>
  import("./agents/AgentsPage").then((m) => ({ default: m.AgentsPage })),
);
const FaqPage = lazy(() => import("./knowledge/FaqPage").then((m) => ({ default: m.FaqPage })));
const DocumentsPage = lazy(() =>
  import("./documents/DocumentsPage").then((m) => ({ default: m.DocumentsPage })),
);
const CataloguePage = lazy(() =>
  import("./catalogue/CataloguePage").then((m) => ({ default: m.CataloguePage })),
);
const SegmentsPage = lazy(() =>
  import("./segments/SegmentsPage").then((m) => ({ default: m.SegmentsPage })),
);
const CampaignsPage = lazy(() =>
  import("./campaigns/CampaignsPage").then((m) => ({ default: m.CampaignsPage })),
);
const CampaignWizardPage = lazy(() =>
  import("./campaigns/CampaignWizardPage").then((m) => ({ default: m.CampaignWizardPage })),
);
const CampaignDetailPage = lazy(() =>
  import("./campaigns/CampaignDetailPage").then((m) => ({ default: m.CampaignDetailPage })),
);
const DoctorImportPage = lazy(() =>
  import("./doctors/import/DoctorImportPage").then((m) => ({ default: m.DoctorImportPage })),
);
const DoctorsPage = lazy(() =>
  import("./doctors/DoctorsPage").then((m) => ({ default: m.DoctorsPage })),
);
const DoctorProfilePage = lazy(() =>
  import("./doctors/DoctorProfilePage").then((m) => ({ default: m.DoctorProfilePage })),
);
const ResetPasswordPage = lazy(() =>
  import("./auth/ResetPasswordPage").then((m) => ({ default: m.ResetPasswordPage })),
);
const NotFoundPage = lazy(() =>
  import("./shell/NotFoundPage").then((m) => ({ default: m.NotFoundPage })),
);

export function createQueryClient(): QueryClient {
  const queryClient: QueryClient = new QueryClient({
    // A 401 anywhere means the session ended: back to the login page.
    queryCache: new QueryCache({ onError: (error) => onSessionError(error) }),
    mutationCache: new MutationCache({ onError: (error) => onSessionError(error) }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A refusal (4xx) will not change by asking again; a network or server failure may.
        retry: (failures, error) =>
          !(isApiError(error) && error.status >= 400 && error.status < 500) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
  function onSessionError(error: unknown) {
    if (isApiError(error, 401) && queryClient.getQueryData(ME_KEY)) signedOut(queryClient);
  }
  return queryClient;
}

export function Providers({
  queryClient,
  children,
}: {
  queryClient: QueryClient;
  children: ReactNode;
}) {
  return (
    <MantineProvider theme={theme}>
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </MantineProvider>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <Providers queryClient={queryClient}>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route
            path="/reset-password"
            element={
              <Suspense fallback={<LoadingState label="Loading…" />}>
                <ResetPasswordPage />
              </Suspense>
            }
          />
          <Route
            element={
              <RequireAuth>
                <RealtimeProvider>
                  <AppLayout />
                </RealtimeProvider>
              </RequireAuth>
            }
          >
            <Route index element={<OverviewPage />} />
            <Route path="inbox" element={<InboxPage />} />
            <Route path="inbox/:conversationId" element={<InboxPage />} />
            <Route path="approvals" element={<ApprovalsPage />} />
            <Route path="doctors" element={<DoctorsPage />} />
            <Route path="doctors/:doctorId" element={<DoctorProfilePage />} />
            <Route path="numbers" element={<NumbersPage />} />
            <Route path="faq" element={<FaqPage />} />
            <Route path="catalogue" element={<CataloguePage />} />
            <Route path="segments" element={<SegmentsPage />} />
            <Route path="campaigns" element={<CampaignsPage />} />
            <Route path="campaigns/new" element={<CampaignWizardPage />} />
            <Route path="campaigns/:campaignId" element={<CampaignDetailPage />} />
            <Route path="doctors/import" element={<DoctorImportPage />} />
            <Route path="agents" element={<AgentsPage />} />
            <Route path="documents" element={<DocumentsPage />} />
            <Route path="users" element={<UsersPage />} />
            <Route path="settings" element={<SettingsPage />} />
            <Route
              path="*"
              element={
                <Suspense fallback={<LoadingState label="Loading…" />}>
                  <NotFoundPage />
                </Suspense>
              }
            />
          </Route>
        </Routes>
      </BrowserRouter>
    </Providers>
  );
}
