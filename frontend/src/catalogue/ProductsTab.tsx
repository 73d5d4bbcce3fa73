/** Products: search, the table, and (for admins) add, edit, delete and import. */
import {
  Badge,
  Button,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { errorDetail, type Product } from "../api/client";
import { EmptyState, ErrorState, LoadingState } from "../components/states";
import { ImportDialog } from "./ImportDialog";
import { formatMoney } from "./money";
import { ProductFormModal } from "./ProductForm";
import { useDeleteProduct, useProducts } from "./queries";
import { editedLabel, sourceLabel } from "./source";
import classes from "../components/tables.module.css";

export function EditedMark({ fields }: { fields: string[] }) {
  if (fields.length === 0) return null;
  return (
    <Tooltip label={editedLabel(fields)} multiline w={280}>
      <Badge size="xs" variant="light" color="grape" tabIndex={0}>
        edited by admin
      </Badge>
    </Tooltip>
  );
}

export function ProductsTable({
  products,
  canEdit,
  onEdit,
  onDelete,
}: {
  products: Product[];
  canEdit: boolean;
  onEdit: (product: Product) => void;
  onDelete: (product: Product) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={820} className={classes.frame}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Products">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Product</Table.Th>
            <Table.Th scope="col">Code</Table.Th>
            <Table.Th scope="col">Pack</Table.Th>
            <Table.Th scope="col" ta="right">
              Price
            </Table.Th>
            <Table.Th scope="col">Source</Table.Th>
            {canEdit && (
              <Table.Th scope="col">
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {products.map((product) => (
            <Table.Tr key={product.id}>
              <Table.Td>
                <Group gap={6}>
                  <Text fw={600} size="sm">
                    {product.name}
                  </Text>
                  {!product.available && (
                    <Badge size="xs" color="gray" variant="outline">
                      Retired
                    </Badge>
                  )}
                  <EditedMark fields={product.edited_fields} />
                </Group>
                {product.category && (
                  <Text size="xs" c="dimmed">
                    {product.category}
                  </Text>
                )}
              </Table.Td>
              <Table.Td className={classes.compact}>
                <Text size="sm" ff="monospace">
                  {product.code ?? "—"}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{product.pack_size ?? "—"}</Text>
              </Table.Td>
              <Table.Td className={classes.compact} ta="right">
                <Text size="sm">{formatMoney(product.price, product.currency)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c="dimmed">
                  {sourceLabel(product.source)}
                </Text>
              </Table.Td>
              {canEdit && (
                <Table.Td>
                  <Group justify="flex-end" gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="light"
                      aria-label={`Edit ${product.name}`}
                      onClick={() => onEdit(product)}
                    >
                      Edit
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      aria-label={`Delete ${product.name}`}
                      onClick={() => onDelete(product)}
                    >
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function DeleteDialog({ product, onClose }: { product: Product | null; onClose: () => void }) {
  const remove = useDeleteProduct();
  return (
    <Modal opened={product !== null} onClose={onClose} title="Delete this product?">
      {product && (
        <Stack gap="md">
          <Text size="sm">
            {product.name} {product.code ? `(${product.code}) ` : ""}will no longer be offered or
            quoted to doctors. To keep it but stop offering it, edit it and mark it retired.
          </Text>
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(product.id, {
                  onSuccess: () => {
                    notifications.show({
                      color: "teal",
                      title: "Product deleted",
                      message: product.name,
                    });
                    onClose();
                  },
                  onError: (error) =>
                    notifications.show({
                      color: "red",
                      title: "Not deleted",
                      message: errorDetail(error),
                    }),
                })
              }
            >
              Delete
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

export function ProductsTab({ canEdit }: { canEdit: boolean }) {
  const [search, setSearch] = useState("");
  const [q] = useDebouncedValue(search.trim(), 300);
  const products = useProducts(q);
  const [editing, setEditing] = useState<Product | "new" | null>(null);
  const [deleting, setDeleting] = useState<Product | null>(null);
  const [importing, setImporting] = useState(false);
  const items = products.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" gap="sm">
        <TextInput
          aria-label="Search products"
          placeholder="Search by name, code or category"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          w={{ base: "100%", sm: 340 }}
        />
        {canEdit && (
          <Group gap="sm">
            <Button variant="default" onClick={() => setImporting(true)}>
              Import CSV or XLSX
            </Button>
            <Button onClick={() => setEditing("new")}>Add product</Button>
          </Group>
        )}
      </Group>
      {products.isPending ? (
        <LoadingState label="Loading products…" />
      ) : products.isError ? (
        <ErrorState
          title="Could not load the products"
          error={products.error}
          onRetry={() => void products.refetch()}
        />
      ) : items.length === 0 ? (
        <EmptyState title={q ? "No product matches" : "No products yet"}>
          {q
            ? `Nothing has “${q}” in its name, code or category.`
            : "Upload a catalogue as a document, import a price list, or add products one by one."}
        </EmptyState>
      ) : (
        <>
          <ProductsTable
            products={items}
            canEdit={canEdit}
            onEdit={(product) => setEditing(product)}
            onDelete={(product) => setDeleting(product)}
          />
          {products.hasNextPage && (
            <Group justify="center">
              <Button
                variant="default"
                loading={products.isFetchingNextPage}
                onClick={() => void products.fetchNextPage()}
              >
                Show more
              </Button>
            </Group>
          )}
        </>
      )}
      <ProductFormModal
        product={editing}
        onClose={() => setEditing(null)}
        onSaved={(saved, created) => {
          setEditing(null);
          notifications.show({
            color: "teal",
            title: created ? "Product added" : "Product saved",
            message: saved.name,
          });
        }}
      />
      <DeleteDialog product={deleting} onClose={() => setDeleting(null)} />
      <ImportDialog opened={importing} onClose={() => setImporting(false)} />
    </Stack>
  );
}
