/** The catalogue: products and CME courses, read by everyone, changed by admins. */
import {
  useInfiniteQuery,
  useMutation,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";
import {
  api,
  unwrap,
  type CourseCreate,
  type CoursePage,
  type CourseUpdate,
  type ImportReport,
  type ProductCreate,
  type ProductPage,
  type ProductUpdate,
} from "../api/client";

export const PRODUCTS_KEY = ["products"] as const;
export const COURSES_KEY = ["courses"] as const;
const PAGE_SIZE = 50;

export type CourseStatus = "extracted" | "confirmed" | "cancelled";

export function useProducts(q: string) {
  return useInfiniteQuery<ProductPage, Error, InfiniteData<ProductPage>, unknown[], string | null>({
    queryKey: [...PRODUCTS_KEY, { q }],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/products", {
          params: {
            query: { q: q || undefined, limit: PAGE_SIZE, cursor: pageParam ?? undefined },
          },
        }),
      ),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useCourses(status: CourseStatus | null) {
  return useInfiniteQuery<CoursePage, Error, InfiniteData<CoursePage>, unknown[], string | null>({
    queryKey: [...COURSES_KEY, { status }],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/courses", {
          params: {
            query: {
              status: status ?? undefined,
              limit: PAGE_SIZE,
              cursor: pageParam ?? undefined,
            },
          },
        }),
      ),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

function useInvalidating<Input, Output>(
  key: readonly string[],
  mutationFn: (input: Input) => Promise<Output>,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}

export function useCreateProduct() {
  return useInvalidating(PRODUCTS_KEY, (body: ProductCreate) =>
    unwrap(api.POST("/api/v1/products", { body })),
  );
}

export function useUpdateProduct() {
  return useInvalidating(PRODUCTS_KEY, ({ id, body }: { id: number; body: ProductUpdate }) =>
    unwrap(
      api.PATCH("/api/v1/products/{product_id}", { params: { path: { product_id: id } }, body }),
    ),
  );
}

export function useDeleteProduct() {
  return useInvalidating(PRODUCTS_KEY, (id: number) =>
    unwrap(api.DELETE("/api/v1/products/{product_id}", { params: { path: { product_id: id } } })),
  );
}

export function useImportProducts() {
  return useInvalidating(PRODUCTS_KEY, (file: File): Promise<ImportReport> => {
    const form = new FormData();
    form.append("file", file);
    return unwrap(
      api.POST("/api/v1/products/import", {
        // The schema types the file as a string; the browser sends the FormData as it is.
        body: form as unknown as { file: string },
        bodySerializer: (body) => body as unknown as FormData,
      }),
    );
  });
}

export function useCreateCourse() {
  return useInvalidating(COURSES_KEY, (body: CourseCreate) =>
    unwrap(api.POST("/api/v1/courses", { body })),
  );
}

export function useUpdateCourse() {
  return useInvalidating(COURSES_KEY, ({ id, body }: { id: number; body: CourseUpdate }) =>
    unwrap(api.PATCH("/api/v1/courses/{course_id}", { params: { path: { course_id: id } }, body })),
  );
}

export function useDeleteCourse() {
  return useInvalidating(COURSES_KEY, (id: number) =>
    unwrap(api.DELETE("/api/v1/courses/{course_id}", { params: { path: { course_id: id } } })),
  );
}
