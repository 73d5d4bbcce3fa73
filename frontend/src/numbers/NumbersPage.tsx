/** Numbers: health of each, and for owners and admins, adding, editing, refreshing, resuming. */
import { Button } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { errorDetail, type WhatsAppNumber } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { NumberDetails } from "./NumberDetails";
import { NumberFormModal } from "./NumberForm";
import { NumbersTable, type NumberActions } from "./NumbersTable";
import { useNumbers, useRefreshNumber, useUpdateNumber } from "./queries";

type Editing = { mode: "closed" } | { mode: "add" } | { mode: "edit"; id: number };

export function NumbersPage() {
  const user = useCurrentUser();
  const manager = can(user, "manage_numbers");
  const numbers = useNumbers();
  const refresh = useRefreshNumber();
  const resume = useUpdateNumber();
  const [params, setParams] = useSearchParams();
  const [editing, setEditing] = useState<Editing>(() =>
    manager && params.get("add") === "1" ? { mode: "add" } : { mode: "closed" },
  );
  const [detailsId, setDetailsId] = useState<number | null>(null);

  const byId = (id: number | null) => numbers.data?.find((number) => number.id === id);
  const closeForm = () => {
    setEditing({ mode: "closed" });
    if (params.has("add")) setParams({}, { replace: true });
  };
  const failed = (title: string) => (error: unknown) =>
    notifications.show({ color: "red", title, message: errorDetail(error) });

  const actions: NumberActions = {
    onDetails: (number) => setDetailsId(number.id),
    manage: manager
      ? {
          onEdit: (number) => {
            setDetailsId(null);
            setEditing({ mode: "edit", id: number.id });
          },
          onRefresh: (number) =>
            refresh.mutate(number.id, {
              onSuccess: () =>
                notifications.show({
                  title: "Health check queued",
                  message: `${number.label} updates as soon as WhatsApp answers.`,
                }),
              onError: failed(`Could not refresh ${number.label}`),
            }),
          onResume: (number: WhatsAppNumber) =>
            resume.mutate(
              { id: number.id, body: { paused: false } },
              {
                onSuccess: () =>
                  notifications.show({
                    color: "teal",
                    title: "Resumed",
                    message: `${number.label} sends again.`,
                  }),
                onError: failed(`Could not resume ${number.label}`),
              },
            ),
          refreshingId: refresh.isPending ? refresh.variables : undefined,
          resumingId: resume.isPending ? resume.variables.id : undefined,
        }
      : undefined,
  };

  let body;
  if (numbers.isPending) body = <LoadingState label="Loading numbers…" />;
  else if (numbers.isError) {
    body = (
      <ErrorState
        title="Could not load the numbers"
        error={numbers.error}
        onRetry={() => void numbers.refetch()}
      />
    );
  } else if (numbers.data.length === 0) {
    body = (
      <EmptyState
        title="No WhatsApp numbers yet"
        action={
          manager && <Button onClick={() => setEditing({ mode: "add" })}>Add a number</Button>
        }
      >
        {manager
          ? "Add a WhatsApp Cloud API number: you need its Phone number ID, Business Account ID and a system user access token from Meta."
          : "An owner or admin has to connect a WhatsApp number before doctors can be reached."}
      </EmptyState>
    );
  } else {
    body = <NumbersTable numbers={numbers.data} actions={actions} />;
  }

  return (
    <>
      <PageHeader
        title="WhatsApp numbers"
        description="Health comes from WhatsApp every 15 minutes, when you refresh, and from send errors."
        actions={
          manager && (
            <Button onClick={() => setEditing({ mode: "add" })} disabled={numbers.isError}>
              Add number
            </Button>
          )
        }
      />
      {body}
      <NumberDetails
        number={byId(detailsId)}
        onClose={() => setDetailsId(null)}
        onEdit={actions.manage?.onEdit}
        onResume={actions.manage?.onResume}
      />
      {manager && (
        <NumberFormModal
          opened={editing.mode !== "closed"}
          number={editing.mode === "edit" ? byId(editing.id) : undefined}
          onClose={closeForm}
          onSaved={(message) => {
            closeForm();
            notifications.show({ color: "teal", title: "Saved", message });
          }}
        />
      )}
    </>
  );
}
