/** Create a campaign in four steps: audience, message, schedule, and the planner's review, then
 * save it as a draft or start it. */
import {
  Alert,
  Button,
  Group,
  List,
  Paper,
  Radio,
  Select,
  Stack,
  Stepper,
  Switch,
  Text,
  TextInput,
} from "@mantine/core";
import { useDebouncedValue, useMediaQuery } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { errorDetail, isApiError } from "../api/client";
import { useCurrentUser } from "../auth/session";
import { NARROW_QUERY } from "../components/narrow";
import { ErrorState, PageHeader } from "../components/states";
import { formatCount } from "../lib/format";
import { useSegments } from "../segments/queries";
import { useApprovedTemplates, useWorkspaceSettings } from "../settings/queries";
import { canRunCampaigns } from "./CampaignParts";
import {
  NEW_DRAFT,
  audienceProblems,
  messageProblems,
  scheduleProblems,
  toCampaignCreate,
  type CampaignDraft,
} from "./draft";
import { MessageStep } from "./MessageStep";
import { useCampaignAction, useCreateCampaign, useOneAtATime, usePlan } from "./queries";
import { ReviewStep } from "./ReviewStep";

const STEPS = ["Audience", "Message", "Schedule", "Review"] as const;

export function CampaignWizardPage() {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<CampaignDraft>(NEW_DRAFT);
  const [step, setStep] = useState(0);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState<"save" | "start" | null>(null);
  const oneAtATime = useOneAtATime();
  const saved = useRef<number | null>(null);
  const narrow = useMediaQuery(NARROW_QUERY);
  const segments = useSegments();
  const templates = useApprovedTemplates({ enabled: true });
  const settings = useWorkspaceSettings();
  const create = useCreateCampaign();
  const startCampaign = useCampaignAction("start");
  const timeZone = settings.data?.timezone ?? "the workspace's time zone";

  const sendable = useMemo(
    () => (templates.data ?? []).filter((template) => template.sendable),
    [templates.data],
  );
  const lookup = useMemo(() => {
    const byId = new Map(sendable.map((template) => [template.id, template]));
    return (id: number) => byId.get(id);
  }, [sendable]);

  const change = (update: Partial<CampaignDraft>) => {
    setFailure(null);
    setDraft((current) => ({ ...current, ...update }));
  };
  const problems = [
    audienceProblems(draft),
    messageProblems(draft, lookup),
    scheduleProblems(draft),
    [],
  ];
  const ready = problems.every((list) => list.length === 0);
  const body = useMemo(() => toCampaignCreate(draft, lookup), [draft, lookup]);
  // The plan follows the draft, but not every keystroke of it.
  const [planned] = useDebouncedValue(body, 300);
  // Only a settled draft is planned: a stale one (before its last change) may be incomplete.
  const plan = usePlan(step === 3 && ready && planned === body ? body : null);
  const blocked = (plan.data?.problems.length ?? 0) > 0;
  const segment = segments.data?.find((item) => item.id === draft.segmentId);

  if (!canRunCampaigns(user)) {
    return (
      <ErrorState
        title="Only owners and admins create campaigns"
        error={new Error("Ask an owner or admin to create this campaign.")}
      />
    );
  }

  const save = (start: boolean) =>
    oneAtATime(async () => {
      // Saved once already (a click that landed while the page was leaving): never twice.
      if (saved.current !== null) return;
      setFailure(null);
      setBusy(start ? "start" : "save");
      let campaign;
      try {
        campaign = await create.mutateAsync(body);
      } catch (error) {
        setFailure(error);
        setBusy(null);
        return;
      }
      saved.current = campaign.id;
      if (start) {
        try {
          await startCampaign.mutateAsync(campaign.id);
          notifications.show({ color: "green", message: `Started "${campaign.name}".` });
        } catch (error) {
          // It is saved: show the draft with why it did not start, rather than make a second.
          notifications.show({
            color: "red",
            title: `Saved "${campaign.name}" as a draft, but it did not start`,
            message: errorDetail(error),
            autoClose: false,
          });
        }
      } else {
        notifications.show({ color: "green", message: `Saved "${campaign.name}" as a draft.` });
      }
      void navigate(`/campaigns/${campaign.id}`);
    });

  const next = () => {
    if (problems[step]!.length === 0) setStep((current) => Math.min(current + 1, 3));
  };

  return (
    <>
      <PageHeader
        title="New campaign"
        description="Choose who gets it, what they read and when; the planner then says how it would go."
      />
      {narrow ? (
        <Text fw={600} mb="sm">
          Step {step + 1} of {STEPS.length}: {STEPS[step]}
        </Text>
      ) : (
        <Stepper
          active={step}
          onStepClick={(index) => index < step && setStep(index)}
          size="sm"
          mb="lg"
        >
          {STEPS.map((label) => (
            <Stepper.Step key={label} label={label} />
          ))}
        </Stepper>
      )}
      <Paper withBorder p={{ base: "sm", sm: "lg" }} radius="md">
        {step === 0 && (
          <Stack gap="md">
            <TextInput
              label="Campaign name"
              required
              maxLength={200}
              value={draft.name}
              onChange={(event) => change({ name: event.currentTarget.value })}
            />
            <Select
              label="Segment"
              description="The doctors it goes to, frozen when it starts."
              placeholder={segments.isPending ? "Loading segments…" : "Choose a saved segment"}
              searchable
              nothingFoundMessage="No segment: build one on the Segments page"
              data={(segments.data ?? []).map((item) => ({
                value: String(item.id),
                label: item.name,
              }))}
              value={draft.segmentId === null ? null : String(draft.segmentId)}
              onChange={(value) => change({ segmentId: value ? Number(value) : null })}
            />
            {segments.isError && <Text c="red">{errorDetail(segments.error)}</Text>}
            {segment && (
              <Text size="sm" data-testid="segment-count">
                {segment.count === 1
                  ? "1 doctor in this segment now"
                  : `${formatCount(segment.count)} doctors in this segment now`}
              </Text>
            )}
          </Stack>
        )}
        {step === 1 && (
          <MessageStep
            draft={draft}
            change={change}
            templates={sendable}
            lookup={lookup}
            templatesLoading={templates.isPending}
          />
        )}
        {step === 2 && (
          <Stack gap="md">
            <Radio.Group
              label="When"
              value={draft.schedule}
              onChange={(value) => change({ schedule: value as CampaignDraft["schedule"] })}
            >
              <Stack gap="xs" mt="xs">
                <Radio value="now" label="As soon as I press Start" />
                <Radio value="at" label="At a date and time" />
              </Stack>
            </Radio.Group>
            {draft.schedule === "at" && (
              <TextInput
                type="datetime-local"
                label="Start at (your browser's time)"
                value={draft.scheduledAt}
                onChange={(event) => change({ scheduledAt: event.currentTarget.value })}
                w={260}
              />
            )}
            <Switch
              label="Quiet hours: no sends at night"
              checked={draft.quietHours}
              onChange={(event) => change({ quietHours: event.currentTarget.checked })}
            />
            {draft.quietHours && (
              <Stack gap={4}>
                <Group gap="sm">
                  <TextInput
                    type="time"
                    label="From"
                    value={draft.quietStart}
                    onChange={(event) => change({ quietStart: event.currentTarget.value })}
                    w={140}
                  />
                  <TextInput
                    type="time"
                    label="Until"
                    value={draft.quietEnd}
                    onChange={(event) => change({ quietEnd: event.currentTarget.value })}
                    w={140}
                  />
                </Group>
                <Text size="xs" c="dimmed">
                  In {timeZone}. Sending stops at the first time and resumes at the second.
                </Text>
              </Stack>
            )}
          </Stack>
        )}
        {step === 3 && <ReviewStep body={body} plan={plan} timeZone={timeZone} />}

        {problems[step]!.length > 0 && (
          <Alert color="yellow" mt="md" title="Before going on">
            <List size="sm">
              {problems[step]!.map((problem) => (
                <List.Item key={problem}>{problem}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {failure !== null && (
          <Alert
            color="red"
            mt="md"
            role="alert"
            title={isApiError(failure) ? `Refused (${failure.code})` : "Failed"}
          >
            {errorDetail(failure)}
          </Alert>
        )}
        <Group justify="space-between" mt="lg" wrap="wrap">
          <Button
            variant="default"
            disabled={step === 0 || busy !== null}
            onClick={() => setStep(step - 1)}
          >
            Back
          </Button>
          {step < 3 ? (
            <Button onClick={next} disabled={problems[step]!.length > 0}>
              Next
            </Button>
          ) : (
            <Group gap="sm">
              <Button
                variant="default"
                loading={busy === "save"}
                disabled={!ready || busy !== null}
                onClick={() => void save(false)}
              >
                Save draft
              </Button>
              <Button
                loading={busy === "start"}
                disabled={!ready || busy !== null || blocked || plan.isPending || plan.isError}
                onClick={() => void save(true)}
              >
                {draft.schedule === "at" ? "Schedule" : "Start"}
              </Button>
            </Group>
          )}
        </Group>
      </Paper>
    </>
  );
}
