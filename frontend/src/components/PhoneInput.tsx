/** A WhatsApp phone field that shows, as the user types, how the server will save the number
 * ("Will be saved as +91 98765 43210") or why it would refuse it. The server reads it with the
 * workspace's default region, so "98765 43210" is an Indian mobile, not +98 (Iran). */
import { Text, TextInput, type TextInputProps } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";

const PREVIEW_DELAY_MS = 300;

export function usePhonePreview(phone: string) {
  const [typed] = useDebouncedValue(phone.trim(), PREVIEW_DELAY_MS);
  const preview = useQuery({
    queryKey: ["phone-preview", typed],
    queryFn: () => unwrap(api.POST("/api/v1/settings/phone-preview", { body: { phone: typed } })),
    enabled: typed.length > 0,
    staleTime: Infinity,
  });
  // Only the preview of what is in the field now: one of an earlier value would mislead.
  return typed === phone.trim() && typed ? preview.data : undefined;
}

type Props = Omit<TextInputProps, "value" | "onChange" | "inputWrapperOrder"> & {
  value: string;
  onChange: (value: string) => void;
};

export function PhoneInput({ value, onChange, error, ...props }: Props) {
  const fresh = usePhonePreview(value);
  let hint = null;
  if (fresh?.international) {
    hint = (
      <Text size="xs" c="teal.8" data-testid="phone-preview">
        Will be saved as {fresh.international}
      </Text>
    );
  } else if (fresh?.problem && !error) {
    hint = (
      <Text size="xs" c="red.8" data-testid="phone-preview">
        {fresh.problem.replace(/^phone: /, "")}
      </Text>
    );
  }
  return (
    <div>
      <TextInput
        inputMode="tel"
        autoComplete="tel"
        placeholder="98765 43210"
        {...props}
        value={value}
        error={error}
        onChange={(event) => onChange(event.currentTarget.value)}
      />
      {hint}
    </div>
  );
}
