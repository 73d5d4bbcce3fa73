/**
 * Documents: the PDF catalogues, brochures and policies SurgiAI answers from. Admins upload
 * them (a new version replaces the old one once it is read), watch them being read, see why a
 * file could not be read, and look at what was read from each page.
 */
import {
  Alert,
  Badge,
  Button,
  Drawer,
  FileButton,
  Group,
  Modal,
  Pagination,
  Paper,
  Progress,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type DragEvent } from "react";
import { errorDetail, type KnowledgeDocument } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatRelative } from "../lib/format";
import {
  currentVersionOf,
  titleFromFilename,
  useDeleteDocument,
  useDocumentChunks,
  useDocuments,
  useUploadDocument,
} from "./queries";
import classes from "../components/tables.module.css";

const STATE_BADGES: Record<KnowledgeDocument["state"], { color: string; label: string }> = {
  processing: { color: "blue", label: "Reading" },
  ready: { color: "teal", label: "Ready" },
  failed: { color: "red", label: "Failed" },
  superseded: { color: "gray", label: "Replaced" },
};

function isPdf(file: File): boolean {
  return file.type === "application/pdf" || file.name.toLowerCase().endsWith(".pdf");
}

function UploadPanel({ documents }: { documents: KnowledgeDocument[] }) {
  const upload = useUploadDocument();
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState("");
  const [dragging, setDragging] = useState(false);
  const [replaces, setReplaces] = useState<string | null>(null);
  const effectiveTitle = title.trim() || (file ? titleFromFilename(file.name) : "");
  const sameTitle = currentVersionOf(documents, effectiveTitle);
  const chosen = replaces ?? (sameTitle ? String(sameTitle.id) : null);
  const replaceable = documents.filter((document) => document.state === "ready");

  function choose(picked: File | null) {
    setFile(picked);
    setReplaces(null);
    if (picked && !isPdf(picked)) {
      notifications.show({
        color: "orange",
        title: "That does not look like a PDF",
        message: "SurgiAI reads PDF files only; it will check the file when you upload it.",
      });
    }
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0] ?? null);
  }

  function submit() {
    if (!file) return;
    upload.mutate(
      { file, title, replacesDocumentId: chosen === null ? null : Number(chosen) },
      {
        onSuccess: (document) => {
          notifications.show({
            color: "teal",
            title: "Uploaded",
            message: `“${document.title}” (v${document.version}) is being read.`,
          });
          setFile(null);
          setTitle("");
          setReplaces(null);
        },
      },
    );
  }

  return (
    <Paper withBorder p="md" radius="md" mb="lg">
      <Stack gap="sm">
        <div
          data-testid="document-dropzone"
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          style={{
            border: `2px dashed var(--mantine-color-${dragging ? "blue-5" : "gray-4"})`,
            borderRadius: 8,
            padding: "1.25rem",
            textAlign: "center",
          }}
        >
          <Stack gap={6} align="center">
            <Text size="sm">
              {file ? (
                <>
                  <b>{file.name}</b> ({(file.size / (1024 * 1024)).toFixed(1)} MB)
                </>
              ) : (
                "Drop a PDF here, or"
              )}
            </Text>
            <FileButton onChange={choose} accept="application/pdf,.pdf">
              {(props) => (
                <Button variant="light" size="xs" {...props}>
                  {file ? "Choose another file" : "Choose a PDF"}
                </Button>
              )}
            </FileButton>
          </Stack>
        </div>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="Title"
            description="Cited in answers, e.g. “Catalogue 2026, p. 3”"
            placeholder={file ? titleFromFilename(file.name) : "Catalogue 2026"}
            value={title}
            maxLength={200}
            onChange={(event) => {
              setTitle(event.currentTarget.value);
              setReplaces(null);
            }}
            w={280}
          />
          <Select
            label="New version of"
            description="The old version answers until the new one is ready"
            placeholder="None: a new document"
            data={replaceable.map((document) => ({
              value: String(document.id),
              label: `${document.title} (v${document.version})`,
            }))}
            value={chosen}
            onChange={setReplaces}
            clearable={!sameTitle}
            allowDeselect={!sameTitle}
            w={280}
          />
          <Button onClick={submit} disabled={!file} loading={upload.isPending}>
            Upload
          </Button>
        </Group>
        {upload.isError && (
          <Alert color="red" title="Upload refused" role="alert">
            {errorDetail(upload.error)}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

function StateCell({ document }: { document: KnowledgeDocument }) {
  const badge = STATE_BADGES[document.state];
  return (
    <Stack gap={4}>
      <Badge color={badge.color} variant="light" data-testid="document-state">
        {badge.label}
      </Badge>
      {document.state === "processing" && (
        <Progress
          aria-label={`Reading ${document.title}`}
          value={document.pages ? (100 * document.pages_done) / document.pages : 0}
          animated
          size="sm"
          w={140}
        />
      )}
      {document.state === "processing" && document.pages ? (
        <Text size="xs" c="dimmed">
          Page {document.pages_done} of {document.pages}
        </Text>
      ) : null}
      {document.state === "failed" && document.failure_reason && (
        <Text size="sm" c="red.8" maw={360} data-testid="failure-reason">
          {document.failure_reason}
        </Text>
      )}
    </Stack>
  );
}

function FoundCell({ document }: { document: KnowledgeDocument }) {
  if (document.state !== "ready" && document.state !== "superseded") return null;
  const {
    products = 0,
    courses = 0,
    faqs_flagged: flagged = 0,
    pages_without_text: scanned = 0,
  } = document.summary;
  const parts = [`${document.pages ?? 0} pages`, `${products} products`, `${courses} courses`];
  return (
    <Stack gap={2}>
      <Text size="sm" data-testid="document-counts">
        {parts.join(" · ")}
      </Text>
      {flagged > 0 && (
        <Text size="sm" c="orange.8">
          {flagged} FAQ answers to review
        </Text>
      )}
      {scanned > 0 && (
        <Text size="xs" c="dimmed">
          {scanned} pages had no text (scanned)
        </Text>
      )}
    </Stack>
  );
}

export function DocumentsTable({
  documents,
  canManage,
  onView,
  onDelete,
}: {
  documents: KnowledgeDocument[];
  canManage: boolean;
  onView: (document: KnowledgeDocument) => void;
  onDelete: (document: KnowledgeDocument) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={760} className={classes.frame}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Documents">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Document</Table.Th>
            <Table.Th scope="col">State</Table.Th>
            <Table.Th scope="col">Found</Table.Th>
            <Table.Th scope="col" className={classes.compact}>
              Uploaded
            </Table.Th>
            <Table.Th scope="col">
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {documents.map((document) => (
            <Table.Tr key={document.id} data-testid={`document-${document.id}`}>
              <Table.Td>
                <Group gap={6}>
                  <Text fw={600} size="sm">
                    {document.title}
                  </Text>
                  <Badge size="xs" variant="outline">
                    v{document.version}
                  </Badge>
                </Group>
                <Text size="xs" c="dimmed">
                  {document.filename}
                </Text>
              </Table.Td>
              <Table.Td>
                <StateCell document={document} />
              </Table.Td>
              <Table.Td>
                <FoundCell document={document} />
              </Table.Td>
              <Table.Td className={classes.compact}>
                <Text size="sm">{formatRelative(document.created_at)}</Text>
              </Table.Td>
              <Table.Td>
                <Group justify="flex-end" gap="xs" wrap="nowrap">
                  {(document.state === "ready" || document.state === "superseded") && (
                    <Button size="xs" variant="light" onClick={() => onView(document)}>
                      View pages
                    </Button>
                  )}
                  {canManage && (
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      aria-label={`Delete ${document.title} v${document.version}`}
                      onClick={() => onDelete(document)}
                    >
                      Delete
                    </Button>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function ChunkTable({ rows }: { rows: string[][] }) {
  const [header, ...body] = rows;
  return (
    <Table.ScrollContainer minWidth={400}>
      <Table withTableBorder withColumnBorders fz="xs">
        <Table.Thead>
          <Table.Tr>
            {header?.map((cell, index) => (
              <Table.Th key={index}>{cell}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {body.map((row, index) => (
            <Table.Tr key={index}>
              {row.map((cell, column) => (
                <Table.Td key={column}>{cell}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function DocumentPages({ document }: { document: KnowledgeDocument }) {
  const [page, setPage] = useState(1);
  const chunks = useDocumentChunks(document.id, page);
  const pages = document.pages ?? 1;
  return (
    <Stack gap="md">
      <Pagination
        total={pages}
        value={page}
        onChange={setPage}
        size="sm"
        aria-label="Pages of the document"
      />
      {chunks.isPending ? (
        <LoadingState label={`Loading page ${page}…`} />
      ) : chunks.isError ? (
        <ErrorState title="Could not load the page" error={chunks.error} />
      ) : chunks.data.items.length === 0 ? (
        <Text c="dimmed" size="sm">
          Nothing was read from page {page} (no text on it).
        </Text>
      ) : (
        chunks.data.items.map((chunk) => (
          <Paper key={chunk.id} withBorder p="sm" radius="sm">
            <Text size="xs" c="dimmed" mb={4}>
              {chunk.kind === "table" ? "Table" : "Passage"} · p. {chunk.page}
            </Text>
            {chunk.kind === "table" && chunk.rows ? (
              <ChunkTable rows={chunk.rows} />
            ) : (
              <Text size="sm">{chunk.text}</Text>
            )}
          </Paper>
        ))
      )}
    </Stack>
  );
}

export function DocumentsPage() {
  const user = useCurrentUser();
  const canManage = can(user, "manage_knowledge");
  const documents = useDocuments();
  const remove = useDeleteDocument();
  const [viewing, setViewing] = useState<KnowledgeDocument | null>(null);
  const [deleting, setDeleting] = useState<KnowledgeDocument | null>(null);

  return (
    <>
      <PageHeader
        title="Documents"
        description="PDF catalogues, brochures and policies SurgiAI answers from. Scanned PDFs (images only) cannot be read: upload the text version."
      />
      {canManage && <UploadPanel documents={documents.data?.items ?? []} />}
      {documents.isPending ? (
        <LoadingState label="Loading documents…" />
      ) : documents.isError ? (
        <ErrorState
          title="Could not load the documents"
          error={documents.error}
          onRetry={() => void documents.refetch()}
        />
      ) : documents.data.items.length === 0 ? (
        <EmptyState title="No documents yet">
          Upload the product catalogue and the course brochures: SurgiAI reads their prices, codes,
          courses and policies to answer doctors.
        </EmptyState>
      ) : (
        <DocumentsTable
          documents={documents.data.items}
          canManage={canManage}
          onView={setViewing}
          onDelete={setDeleting}
        />
      )}
      <Drawer
        opened={viewing !== null}
        onClose={() => setViewing(null)}
        position="right"
        size="xl"
        title={viewing ? `${viewing.title} (v${viewing.version})` : ""}
      >
        {viewing && <DocumentPages document={viewing} />}
      </Drawer>
      <Modal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete this document?"
      >
        {deleting && (
          <Stack gap="md">
            <Text size="sm">
              “{deleting.title}” (v{deleting.version}) and what was read from it will be removed.
              SurgiAI stops answering from it. Products and courses found in it stay in the
              catalogue.
            </Text>
            {remove.isError && (
              <Alert color="red" role="alert">
                {errorDetail(remove.error)}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setDeleting(null)}>
                Cancel
              </Button>
              <Button
                color="red"
                loading={remove.isPending}
                onClick={() =>
                  remove.mutate(deleting, {
                    onSuccess: () => {
                      notifications.show({
                        color: "teal",
                        title: "Deleted",
                        message: `“${deleting.title}” was removed.`,
                      });
                      setDeleting(null);
                    },
                  })
                }
              >
                Delete
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
