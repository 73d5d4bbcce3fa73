/** Choose a new password with the one-time link an owner or admin made (`/reset-password#token=…`:
 * the token sits in the fragment, which the browser never sends to a server or its logs). */
import {
  Alert,
  Anchor,
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, errorDetail, unwrap } from "../api/client";

const MIN_PASSWORD = 8;

function tokenFromLocation(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
}

export function ResetPasswordPage() {
  const [token] = useState(tokenFromLocation);
  const link = useQuery({
    queryKey: ["password-reset", token],
    queryFn: () => unwrap(api.POST("/api/v1/auth/password-reset/check", { body: { token } })),
    enabled: token.length > 0,
    retry: false,
    staleTime: Infinity,
  });
  const reset = useMutation({
    mutationFn: (new_password: string) =>
      unwrap(api.POST("/api/v1/auth/password-reset", { body: { token, new_password } })),
  });
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<{ password?: string; confirm?: string }>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (password.length < MIN_PASSWORD) found.password = `At least ${MIN_PASSWORD} characters.`;
    if (confirm !== password) found.confirm = "Type the new password again, exactly.";
    setErrors(found);
    if (Object.keys(found).length === 0) reset.mutate(password);
  };

  let body;
  if (!token) {
    body = (
      <Alert color="red" title="No reset link">
        Open the whole link an owner or admin sent you, or ask them for a new one.
      </Alert>
    );
  } else if (reset.isSuccess) {
    body = (
      <Stack gap="sm">
        <Alert color="teal" title="Password changed" role="status">
          Log in with your new password. Your other sessions were signed out.
        </Alert>
        <Button component={Link} to="/login">
          Go to log in
        </Button>
      </Stack>
    );
  } else if (link.isError) {
    body = (
      <Alert color="red" title="This link does not work" role="alert">
        {errorDetail(link.error)}
      </Alert>
    );
  } else if (link.isPending) {
    body = <Text size="sm">Checking your link…</Text>;
  } else {
    body = (
      <form onSubmit={submit} noValidate aria-label="Choose a new password">
        <Stack gap="md">
          <Text size="sm">
            Choose a new password for {link.data.name} ({link.data.email}).
          </Text>
          {reset.isError && (
            <Alert color="red" role="alert" title="Password not changed">
              {errorDetail(reset.error)}
            </Alert>
          )}
          <PasswordInput
            label="New password"
            description={`At least ${MIN_PASSWORD} characters.`}
            required
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={errors.password}
          />
          <PasswordInput
            label="Confirm new password"
            required
            autoComplete="new-password"
            value={confirm}
            onChange={(event) => setConfirm(event.currentTarget.value)}
            error={errors.confirm}
          />
          <Button type="submit" loading={reset.isPending} fullWidth>
            Set new password
          </Button>
        </Stack>
      </form>
    );
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" radius="md" p="xl" w="100%" maw={400} component="main">
        <Title order={1} size="h2" c="teal.8" mb="lg">
          Reset your password
        </Title>
        {body}
        <Anchor component={Link} to="/login" size="xs" mt="lg" display="block">
          Back to log in
        </Anchor>
      </Paper>
    </Center>
  );
}
