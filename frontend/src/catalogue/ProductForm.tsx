/** Add a product, or edit one: only the fields changed are sent, and those become the admin's
 * (a new version of the catalogue will not overwrite them). */
import {
  Alert,
  Button,
  Group,
  Modal,
  SimpleGrid,
  Stack,
  Switch,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useState, type ChangeEvent, type FormEvent } from "react";
import { errorDetail, type Product, type ProductCreate, type ProductUpdate } from "../api/client";
import { parseMoneyInput } from "./money";
import { useCreateProduct, useUpdateProduct } from "./queries";

type Values = {
  name: string;
  code: string;
  pack_size: string;
  price: string;
  category: string;
  description: string;
  available: boolean;
};
type TextKey = Exclude<keyof Values, "available">;
type Errors = Partial<Record<keyof Values, string>>;

function initialValues(product: Product | null): Values {
  return {
    name: product?.name ?? "",
    code: product?.code ?? "",
    pack_size: product?.pack_size ?? "",
    price: product?.price ?? "",
    category: product?.category ?? "",
    description: product?.description ?? "",
    available: product?.available ?? true,
  };
}

function validate(values: Values): Errors {
  const errors: Errors = {};
  if (!values.name.trim()) errors.name = "Enter the product's name.";
  if (parseMoneyInput(values.price) === undefined) {
    errors.price = "An amount in rupees, like 2450 or 1,25,000.50.";
  }
  return errors;
}

const orNull = (text: string) => text.trim() || null;

/** A new product's fields. */
export function productBody(values: Values): ProductCreate {
  return {
    name: values.name.trim(),
    code: orNull(values.code)?.toUpperCase() ?? null,
    pack_size: orNull(values.pack_size),
    price: parseMoneyInput(values.price) ?? null,
    category: orNull(values.category),
    description: orNull(values.description),
    available: values.available,
  };
}

/** An edit's request: only the fields changed. */
export function productChanges(product: Product, values: Values): ProductUpdate {
  const next = productBody(values);
  const changes: ProductUpdate = {};
  if (next.name !== product.name) changes.name = next.name;
  if (next.code !== product.code) changes.code = next.code;
  if (next.pack_size !== product.pack_size) changes.pack_size = next.pack_size;
  if (next.price === null ? product.price !== null : Number(next.price) !== Number(product.price)) {
    changes.price = next.price;
  }
  if (next.category !== product.category) changes.category = next.category;
  if (next.description !== product.description) changes.description = next.description;
  if (next.available !== product.available) changes.available = next.available;
  return changes;
}

export function ProductFormModal({
  product,
  onClose,
  onSaved,
}: {
  product: Product | "new" | null;
  onClose: () => void;
  onSaved: (product: Product, created: boolean) => void;
}) {
  const editing = product !== null && product !== "new" ? product : null;
  return (
    <Modal
      opened={product !== null}
      onClose={onClose}
      title={editing ? `Edit ${editing.name}` : "Add a product"}
      size="lg"
    >
      {product !== null && (
        <ProductForm
          key={editing?.id ?? "new"}
          product={editing}
          onClose={onClose}
          onSaved={onSaved}
        />
      )}
    </Modal>
  );
}

function ProductForm({
  product,
  onClose,
  onSaved,
}: {
  product: Product | null;
  onClose: () => void;
  onSaved: (product: Product, created: boolean) => void;
}) {
  const create = useCreateProduct();
  const update = useUpdateProduct();
  const saving = product ? update : create;
  const [values, setValues] = useState<Values>(() => initialValues(product));
  const [errors, setErrors] = useState<Errors>({});
  const field = (key: TextKey) => ({
    value: values[key],
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const value = event.currentTarget.value;
      setValues((current) => ({ ...current, [key]: value }));
    },
    error: errors[key],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (!product) {
      create.mutate(productBody(values), { onSuccess: (saved) => onSaved(saved, true) });
      return;
    }
    const body = productChanges(product, values);
    if (Object.keys(body).length === 0) {
      onClose();
    } else {
      update.mutate({ id: product.id, body }, { onSuccess: (saved) => onSaved(saved, false) });
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label={product ? "Edit product" : "Add product"}>
      <Stack gap="md">
        {saving.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(saving.error)}
          </Alert>
        )}
        <TextInput label="Name" required {...field("name")} data-autofocus />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput label="Code" description="Catalogue or REF number" {...field("code")} />
          <TextInput
            label="Pack"
            description="As the catalogue says: Box of 12"
            {...field("pack_size")}
          />
          <TextInput
            label="Price (₹)"
            description="Leave empty when it is on request"
            inputMode="decimal"
            {...field("price")}
          />
          <TextInput label="Category" {...field("category")} />
        </SimpleGrid>
        <Textarea label="Description" rows={3} {...field("description")} />
        {product && (
          <Switch
            label="Offered to doctors"
            description="Off: kept, but retired from answers"
            checked={values.available}
            onChange={(event) => {
              const checked = event.currentTarget.checked;
              setValues((current) => ({ ...current, available: checked }));
            }}
          />
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={saving.isPending}>
            {product ? "Save" : "Add product"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
