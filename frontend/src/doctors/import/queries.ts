/** Importing doctors: a preview of the file, the upload, and the import's progress. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap, type DoctorImport, type DoctorImportPreview } from "../../api/client";

/** While an import runs, its progress is read this often. */
export const PROGRESS_POLL_MS = 500;
export const MAX_BYTES = 20 * 1024 * 1024;

export type ImportRequest = { file: File; mapping: Record<string, string> | null };

function formOf({ file, mapping }: ImportRequest): FormData {
  const form = new FormData();
  form.append("file", file);
  if (mapping) form.append("mapping", JSON.stringify(mapping));
  return form;
}

// The schema types the file as a string; the browser sends the FormData as it is.
const asForm = {
  bodySerializer: (body: unknown) => body as FormData,
};

export function usePreviewImport() {
  return useMutation({
    mutationFn: (request: ImportRequest): Promise<DoctorImportPreview> =>
      unwrap(
        api.POST("/api/v1/doctors/import/preview", {
          body: formOf(request) as unknown as { file: string },
          ...asForm,
        }),
      ),
  });
}

export function useStartImport() {
  return useMutation({
    mutationFn: (request: ImportRequest): Promise<DoctorImport> =>
      unwrap(
        api.POST("/api/v1/doctors/import", {
          body: formOf(request) as unknown as { file: string },
          ...asForm,
        }),
      ),
  });
}

export function useDoctorImport(importId: number | null) {
  return useQuery({
    queryKey: ["doctor-imports", importId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/doctors/imports/{import_id}", {
          params: { path: { import_id: importId ?? 0 } },
        }),
      ),
    enabled: importId !== null,
    refetchInterval: (query) =>
      query.state.data?.state === "processing" ? PROGRESS_POLL_MS : false,
  });
}

/** The rejected rows as a CSV file (row, reason), for fixing the spreadsheet. */
export function rejectedRowsCsv(rejected: { row: number; reason: string }[]): string {
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
  return ["Row,Reason", ...rejected.map((item) => `${item.row},${quote(item.reason)}`)].join(
    "\r\n",
  );
}
