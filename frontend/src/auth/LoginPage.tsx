/** Sign in with email and password; the server keeps the session in an HttpOnly cookie. */
import {
  Alert,
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { errorDetail } from "../api/client";
import { useLogin, useMe } from "./session";

type Errors = { email?: string; password?: string };

function validate(email: string, password: string): Errors {
  const errors: Errors = {};
  if (!email.trim()) errors.email = "Enter your email address.";
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
    errors.email = "Enter an email address like name@example.com.";
  }
  if (!password) errors.password = "Enter your password.";
  return errors;
}

/** Where to go after signing in: back to the page that asked, never off-site. */
function destination(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("//") ? from : "/";
}

export function LoginForm({ onSignedIn }: { onSignedIn: () => void }) {
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(email, password);
    setErrors(found);
    if (found.email || found.password) return;
    login.mutate({ email: email.trim(), password }, { onSuccess: onSignedIn });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Log in">
      <Stack gap="md">
        {login.isError && (
          <Alert color="red" title="Could not log in" role="alert">
            {errorDetail(login.error)}
          </Alert>
        )}
        <TextInput
          label="Email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(event) => setEmail(event.currentTarget.value)}
          error={errors.email}
          required
          data-autofocus
        />
        <PasswordInput
          label="Password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={errors.password}
          required
        />
        <Button type="submit" loading={login.isPending} fullWidth>
          Log in
        </Button>
      </Stack>
    </form>
  );
}

export function LoginPage() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const next = destination(location.state);

  if (me.data) return <Navigate to={next} replace />;

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" radius="md" p="xl" w="100%" maw={400} component="main">
        <Stack gap={4} mb="lg">
          <Title order={1} size="h2" c="teal.8">
            SurgiAI
          </Title>
          <Text c="dimmed" size="sm">
            Log in to the dashboard to watch conversations and manage your WhatsApp numbers.
          </Text>
        </Stack>
        <LoginForm onSignedIn={() => navigate(next, { replace: true })} />
        <Text c="dimmed" size="xs" mt="lg">
          Forgot your password? Ask an owner or admin for a one-time reset link (Users and roles →
          Reset password).
        </Text>
      </Paper>
    </Center>
  );
}
