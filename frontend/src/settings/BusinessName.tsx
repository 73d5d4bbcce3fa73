/** The workspace's name in the header and the browser tab, as the Settings page sets it. */
import { Text } from "@mantine/core";
import { useEffect } from "react";
import { useWorkspaceSettings } from "./queries";

export const PRODUCT_NAME = "SurgiAI";

export function BusinessName() {
  const { data } = useWorkspaceSettings();
  const name = data?.business_name ?? PRODUCT_NAME;

  useEffect(() => {
    document.title = name === PRODUCT_NAME ? PRODUCT_NAME : `${name} · ${PRODUCT_NAME}`;
  }, [name]);

  return (
    <Text fw={700} size="lg" c="teal.8" truncate="end" maw={{ base: 180, sm: 360 }}>
      {name}
    </Text>
  );
}
