/** The workspace's time zone as a searchable combobox over the server's list of zones
 * (`GET /api/v1/settings/time-zones?q=`): "Kolkata", "Calcutta", "India" or "IST" all find
 * Asia/Kolkata, which browsers may not know. Typing replaces the query, never appends to the
 * zone already chosen. */
import { Combobox, InputBase, Loader, Text, useCombobox } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";

type TimeZone = Schemas["TimeZoneRead"];

const SEARCH_DELAY_MS = 150;
// Enough to scroll through; typing narrows the rest.
const SHOWN = 60;

function describe(zone: TimeZone): string {
  const where = [zone.city, zone.country].filter(Boolean).join(", ");
  const when = [zone.abbreviation, `UTC${zone.utc_offset}`].filter(Boolean).join(", ");
  return `${where} (${when})`;
}

function useTimeZones(query: string, enabled: boolean) {
  const [debounced] = useDebouncedValue(query.trim(), SEARCH_DELAY_MS);
  return useQuery({
    queryKey: ["time-zones", debounced],
    queryFn: () =>
      unwrap(api.GET("/api/v1/settings/time-zones", { params: { query: { q: debounced } } })),
    enabled,
    staleTime: Infinity,
    placeholderData: keepPreviousData,
  });
}

export function TimeZonePicker({
  value,
  onChange,
  readOnly,
  label,
  description,
}: {
  value: string;
  onChange: (zone: string) => void;
  readOnly: boolean;
  label: string;
  description: string;
}) {
  const combobox = useCombobox({
    onDropdownClose: () => {
      combobox.resetSelectedOption();
      setSearching(false);
    },
  });
  const [query, setQuery] = useState("");
  // While searching the field shows the query; otherwise the chosen zone.
  const [searching, setSearching] = useState(false);
  const zones = useTimeZones(query, combobox.dropdownOpened);
  const options = (zones.data ?? []).slice(0, SHOWN);

  const start = () => {
    if (readOnly) return;
    setQuery("");
    setSearching(true);
    combobox.openDropdown();
  };

  return (
    <Combobox
      store={combobox}
      onOptionSubmit={(zone) => {
        onChange(zone);
        setQuery("");
        combobox.closeDropdown();
      }}
    >
      <Combobox.Target>
        <InputBase
          label={label}
          description={description}
          readOnly={readOnly}
          variant={readOnly ? "filled" : "default"}
          maw={480}
          value={searching ? query : value}
          placeholder={value}
          rightSection={zones.isFetching ? <Loader size="xs" /> : <Combobox.Chevron />}
          rightSectionPointerEvents="none"
          onFocus={start}
          onClick={() => {
            if (!combobox.dropdownOpened) start();
          }}
          onBlur={() => combobox.closeDropdown()}
          onChange={(event) => {
            setQuery(event.currentTarget.value);
            setSearching(true);
            combobox.openDropdown();
            combobox.updateSelectedOptionIndex();
          }}
          aria-label={label}
        />
      </Combobox.Target>
      <Combobox.Dropdown>
        <Combobox.Options mah={320} style={{ overflowY: "auto" }} aria-label="Time zones">
          {options.length === 0 ? (
            <Combobox.Empty>
              {zones.isPending ? "Loading time zones…" : "No time zone matches that"}
            </Combobox.Empty>
          ) : (
            options.map((zone) => (
              <Combobox.Option value={zone.name} key={zone.name} active={zone.name === value}>
                <Text size="sm" fw={500}>
                  {zone.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {describe(zone)}
                  {zone.aliases.length > 0 ? ` · also ${zone.aliases.slice(0, 3).join(", ")}` : ""}
                </Text>
              </Combobox.Option>
            ))
          )}
        </Combobox.Options>
      </Combobox.Dropdown>
    </Combobox>
  );
}
