/** Import doctors from a spreadsheet: choose a file, check how its columns are read (and change
 * the mapping), confirm, then watch the import run and read its report. */
import {
  Alert,
  Anchor,
  Button,
  FileInput,
  Group,
  List,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
} from "@mantine/core";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { errorDetail, type DoctorImport, type DoctorImportPreview } from "../../api/client";
import { PageHeader } from "../../components/states";
import { formatCount } from "../../lib/format";
import classes from "../../components/tables.module.css";
import {
  MAX_BYTES,
  rejectedRowsCsv,
  useDoctorImport,
  usePreviewImport,
  useStartImport,
} from "./queries";

const FIELD_LABELS: Record<string, string> = {
  name: "Name",
  mobile: "Mobile number",
  specialty: "Specialty",
  city: "City",
  state: "State",
  hospital: "Hospital / clinic",
  registration_number: "Registration no.",
  email: "Email",
  preferred_language: "Language",
  tags: "Tags",
  consent: "Consent (opted out, DND)",
};

function label(field: string): string {
  return FIELD_LABELS[field] ?? field;
}

function MappingEditor({
  preview,
  mapping,
  onChange,
}: {
  preview: DoctorImportPreview;
  mapping: Record<string, string>;
  onChange: (mapping: Record<string, string>) => void;
}) {
  const options = [{ value: "", label: "(not imported)" }].concat(
    preview.headers.map((header) => ({ value: header, label: header })),
  );
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="sm" aria-label="Column mapping">
      {preview.fields.map((field) => (
        <Select
          key={field}
          label={label(field)}
          data={options}
          value={mapping[field] ?? ""}
          allowDeselect={false}
          onChange={(value) => {
            const next = { ...mapping };
            if (value) next[field] = value;
            else delete next[field];
            onChange(next);
          }}
        />
      ))}
    </SimpleGrid>
  );
}

function PreviewTable({ preview }: { preview: DoctorImportPreview }) {
  const fields = preview.fields.filter((field) => preview.mapping[field]);
  return (
    <Table.ScrollContainer minWidth={600} mah={420} className={classes.frame}>
      <Table aria-label="Preview" verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Row</Table.Th>
            {fields.map((field) => (
              <Table.Th scope="col" key={field}>
                {label(field)}
              </Table.Th>
            ))}
            <Table.Th scope="col">Problem</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {preview.rows.map((row) => (
            <Table.Tr key={row.row}>
              <Table.Td className={classes.compact}>{row.row}</Table.Td>
              {fields.map((field) => (
                <Table.Td key={field}>{row.values[field] ?? ""}</Table.Td>
              ))}
              <Table.Td c={row.problem ? "red.8" : undefined}>{row.problem ?? ""}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function downloadRejected(report: DoctorImport) {
  const blob = new Blob([rejectedRowsCsv(report.rejected)], { type: "text/csv" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `rejected-rows-${report.id}.csv`;
  link.click();
  URL.revokeObjectURL(url);
}

function ImportProgress({ report }: { report: DoctorImport }) {
  const total = report.rows_total ?? 0;
  if (report.state === "processing") {
    return (
      <Stack gap={4}>
        <Progress
          aria-label="Import progress"
          value={total ? (100 * report.rows_done) / total : 0}
          animated
        />
        <Text size="sm" c="dimmed" data-testid="import-progress">
          {total
            ? `${formatCount(report.rows_done)} of ${formatCount(total)} rows`
            : "Reading the file…"}
        </Text>
      </Stack>
    );
  }
  if (report.state === "failed") {
    return (
      <Alert color="red" role="alert" title="Import failed">
        {report.failure_reason}
      </Alert>
    );
  }
  return (
    <Stack gap="sm" role="region" aria-label="Import report">
      <Alert color={report.rejected.length ? "yellow" : "teal"} title="Imported">
        <List size="sm" spacing={2}>
          <List.Item>{formatCount(report.added)} added</List.Item>
          <List.Item>{formatCount(report.updated)} updated</List.Item>
          <List.Item>{formatCount(report.unchanged)} unchanged</List.Item>
          <List.Item>{formatCount(report.rejected.length)} rejected</List.Item>
        </List>
      </Alert>
      {report.rejected.length > 0 && (
        <>
          <Group>
            <Button variant="default" size="xs" onClick={() => downloadRejected(report)}>
              Download rejected rows (CSV)
            </Button>
          </Group>
          <Table.ScrollContainer minWidth={360} mah={320} className={classes.frame}>
            <Table aria-label="Rejected rows" verticalSpacing={4}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Row</Table.Th>
                  <Table.Th scope="col">Why it was not imported</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.rejected.map((rejection) => (
                  <Table.Tr key={rejection.row}>
                    <Table.Td className={classes.compact}>{rejection.row}</Table.Td>
                    <Table.Td>{rejection.reason}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </Stack>
  );
}

export function DoctorImportPage() {
  const previewing = usePreviewImport();
  const starting = useStartImport();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [mapping, setMapping] = useState<Record<string, string> | null>(null);
  const [importId, setImportId] = useState<number | null>(null);
  // The last preview that could be read: a mapping that does not fit keeps it on screen.
  const [preview, setPreview] = useState<DoctorImportPreview | null>(null);
  const progress = useDoctorImport(importId);

  const choose = (chosen: File | null) => {
    setFile(chosen);
    setMapping(null);
    setPreview(null);
    setImportId(null);
    previewing.reset();
    starting.reset();
    if (!chosen) return;
    if (chosen.size > MAX_BYTES) {
      setFileError("The file is over 20 MB: split it into smaller files.");
      return;
    }
    setFileError(null);
    previewing.mutate(
      { file: chosen, mapping: null },
      {
        onSuccess: (found) => {
          setPreview(found);
          setMapping(found.mapping);
        },
      },
    );
  };
  const changeMapping = (next: Record<string, string>) => {
    setMapping(next);
    if (file) previewing.mutate({ file, mapping: next }, { onSuccess: setPreview });
  };
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    if (!file || !mapping) return;
    starting.mutate({ file, mapping }, { onSuccess: (started) => setImportId(started.id) });
  };
  const report = progress.data ?? starting.data;

  return (
    <>
      <PageHeader
        title="Import doctors"
        description="A CSV or XLSX file with a header row. Numbers are read as people type them (India by default); rows with the same number are merged; a doctor already on the list changes only in the cells the file fills; importing the same file again changes nothing."
        actions={
          <Anchor component={Link} to="/doctors">
            Back to doctors
          </Anchor>
        }
      />
      <form onSubmit={confirm} noValidate aria-label="Import doctors">
        <Stack gap="md">
          <FileInput
            label="File"
            placeholder="Choose a CSV or XLSX file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            value={file}
            onChange={choose}
            error={fileError}
            clearable
            maw={480}
          />
          {previewing.isError && (
            <Alert color="red" role="alert" title="This file cannot be imported">
              {errorDetail(previewing.error)}
            </Alert>
          )}
          {preview && mapping && (
            <>
              <Text size="sm" c="dimmed">
                Read as {preview.source}. Choose which column holds each field; other columns are
                kept as custom fields.
              </Text>
              <MappingEditor preview={preview} mapping={mapping} onChange={changeMapping} />
              <PreviewTable preview={preview} />
              {starting.isError && (
                <Alert color="red" role="alert" title="Not imported">
                  {errorDetail(starting.error)}
                </Alert>
              )}
              {importId === null && (
                <Group>
                  <Button
                    type="submit"
                    loading={starting.isPending}
                    disabled={!mapping.mobile || previewing.isPending || previewing.isError}
                  >
                    Import
                  </Button>
                </Group>
              )}
            </>
          )}
          {report && <ImportProgress report={report} />}
        </Stack>
      </form>
    </>
  );
}
