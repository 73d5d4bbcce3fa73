import { Button } from "@mantine/core";
import { Link } from "react-router";
import { EmptyState } from "../components/states";

export function NotFoundPage() {
  return (
    <EmptyState
      title="This page does not exist"
      action={
        <Button component={Link} to="/">
          Go to the overview
        </Button>
      }
    >
      The address may be mistyped, or the page was moved. Use the navigation to find your way.
    </EmptyState>
  );
}
