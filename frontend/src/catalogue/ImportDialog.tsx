/** Import a price list (CSV or XLSX): valid rows are kept, and each rejected row is listed with
 * its row number and the reason, to fix in the file and import again. */
import { Alert, Button, FileInput, Group, List, Modal, Stack, Table, Text } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { errorDetail, type ImportReport } from "../api/client";
import { formatCount } from "../lib/format";
import { useImportProducts } from "./queries";
import classes from "../components/tables.module.css";

const MAX_BYTES = 5 * 1024 * 1024;

export function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <Stack gap="sm" aria-label="Import report" role="region">
      <Alert color={report.rejected.length ? "yellow" : "teal"} title="Imported">
        <List size="sm" spacing={2}>
          <List.Item>{formatCount(report.added)} added</List.Item>
          <List.Item>{formatCount(report.updated)} updated</List.Item>
          <List.Item>{formatCount(report.unchanged)} unchanged</List.Item>
          <List.Item>{formatCount(report.rejected.length)} rejected</List.Item>
        </List>
      </Alert>
      {report.rejected.length > 0 && (
        <Table.ScrollContainer minWidth={360} mah={280} className={classes.frame}>
          <Table aria-label="Rejected rows" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Row</Table.Th>
                <Table.Th scope="col">Why it was not imported</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.rejected.map((rejection) => (
                <Table.Tr key={`${rejection.row}-${rejection.reason}`}>
                  <Table.Td className={classes.compact}>{rejection.row}</Table.Td>
                  <Table.Td>{rejection.reason}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

export function ImportDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const upload = useImportProducts();
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setFile(null);
    setError(null);
    upload.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError("Choose a CSV or XLSX file.");
      return;
    }
    if (file.size > MAX_BYTES) {
      setError("The file is over 5 MB: split it into smaller files.");
      return;
    }
    setError(null);
    upload.mutate(file);
  };

  return (
    <Modal opened={opened} onClose={close} title="Import products" size="lg">
      <form onSubmit={submit} noValidate aria-label="Import products">
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            A CSV or XLSX file with a header row naming the columns, in any order: Product (or Item,
            Description), Code (Cat. No., REF, SKU), Pack Size, Price (MRP, Rate) and Category.
            Products with the same code, or else the same name, are updated; an empty cell changes
            nothing.
          </Text>
          <FileInput
            label="File"
            placeholder="Choose a file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            value={file}
            onChange={(chosen) => {
              setFile(chosen);
              upload.reset();
            }}
            error={error}
            clearable
          />
          {upload.isError && (
            <Alert color="red" role="alert" title="Not imported">
              {errorDetail(upload.error)}
            </Alert>
          )}
          {upload.data && <ImportReportView report={upload.data} />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close}>
              {upload.data ? "Done" : "Cancel"}
            </Button>
            <Button type="submit" loading={upload.isPending} disabled={!file}>
              Import
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
