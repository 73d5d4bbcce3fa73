/** The team inbox: conversations on the left, the open one on the right. */
import { Center, Text } from "@mantine/core";
import { useParams } from "react-router";
import { PageHeader } from "../components/states";
import { ConversationList } from "./ConversationList";
import classes from "./InboxPage.module.css";
import { Thread } from "./Thread";

export function InboxPage() {
  const { conversationId } = useParams();
  const parsed = conversationId ? Number(conversationId) : NaN;
  const selected = Number.isInteger(parsed) && parsed > 0 ? parsed : null;
  return (
    <>
      <PageHeader title="Inbox" description="Doctors' conversations on every number, live." />
      <div className={classes.layout} data-open={selected !== null}>
        <ConversationList selectedId={selected} />
        <section className={classes.column} aria-label="Conversation">
          {selected !== null ? (
            <Thread key={selected} conversationId={selected} />
          ) : (
            <Center h="100%" p="lg">
              <Text c="dimmed" ta="center">
                Choose a conversation on the left to read it
                {conversationId ? " (that address names no conversation)" : ""}.
              </Text>
            </Center>
          )}
        </section>
      </div>
    </>
  );
}
