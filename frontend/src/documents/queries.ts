/** Documents (PDF catalogues, brochures, policies): the list, uploads, page previews. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type KnowledgeDocument } from "../api/client";

export const DOCUMENTS_KEY = ["documents"] as const;
/** While a document is being read, the list refreshes this often to show its progress. */
export const PROGRESS_POLL_MS = 1000;

export function useDocuments() {
  return useQuery({
    queryKey: DOCUMENTS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/documents", { params: { query: { limit: 200 } } })),
    refetchInterval: (query) =>
      query.state.data?.items.some((document) => document.state === "processing")
        ? PROGRESS_POLL_MS
        : false,
  });
}

export function useDocumentChunks(documentId: number | null, page: number) {
  return useQuery({
    queryKey: [...DOCUMENTS_KEY, documentId, "chunks", page],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/documents/{document_id}/chunks", {
          params: { path: { document_id: documentId ?? 0 }, query: { page } },
        }),
      ),
    enabled: documentId !== null,
  });
}

export type UploadRequest = { file: File; title: string; replacesDocumentId: number | null };

export function useUploadDocument() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ file, title, replacesDocumentId }: UploadRequest) => {
      const form = new FormData();
      form.append("file", file);
      if (title.trim()) form.append("title", title.trim());
      if (replacesDocumentId !== null)
        form.append("replaces_document_id", String(replacesDocumentId));
      return unwrap(
        api.POST("/api/v1/documents", {
          // The generated type describes the form's fields; the browser sends the FormData.
          body: { file: "" },
          bodySerializer: () => form,
        }),
      );
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: DOCUMENTS_KEY }),
  });
}

export function useDeleteDocument() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (document: KnowledgeDocument) =>
      unwrap(
        api.DELETE("/api/v1/documents/{document_id}", {
          params: { path: { document_id: document.id } },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: DOCUMENTS_KEY }),
  });
}

/** The ready document an upload of this title would replace (titles compare in any case). */
export function currentVersionOf(
  documents: readonly KnowledgeDocument[],
  title: string,
): KnowledgeDocument | undefined {
  const wanted = title.trim().toLowerCase();
  if (!wanted) return undefined;
  return documents.find(
    (document) => document.state === "ready" && document.title.toLowerCase() === wanted,
  );
}

/** "catalogue_2026.pdf" → "catalogue 2026", as the server names an untitled upload. */
export function titleFromFilename(filename: string): string {
  let stem = filename.split(/[\\/]/).pop() ?? filename;
  const dot = stem.lastIndexOf(".");
  if (dot > 0) stem = stem.slice(0, dot);
  if (!stem.includes(" ")) stem = stem.replace(/[_-]+/g, " ");
  return stem.split(/\s+/).filter(Boolean).join(" ");
}
