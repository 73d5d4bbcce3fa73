/** The catalogue: the products and CME courses SurgiAI answers doctors from. Everyone reads it;
 * those who manage settings add, edit, import, confirm and delete. */
import { Tabs } from "@mantine/core";
import { useState } from "react";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { PageHeader } from "../components/states";
import { CoursesTab } from "./CoursesTab";
import { ProductsTab } from "./ProductsTab";

export function CataloguePage() {
  const user = useCurrentUser();
  const canEdit = can(user, "manage_knowledge");
  const [tab, setTab] = useState<string | null>("products");
  return (
    <>
      <PageHeader
        title="Catalogue"
        description="Products and CME courses that SurgiAI answers from: read from uploaded catalogues and brochures, or entered and imported here. What an admin edits stays as they set it."
      />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="products">Products</Tabs.Tab>
          <Tabs.Tab value="courses">Courses</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="products">
          <ProductsTab canEdit={canEdit} />
        </Tabs.Panel>
        <Tabs.Panel value="courses">
          <CoursesTab canEdit={canEdit} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
