/** Whether tables show as cards (tables.module.css `.cards`): on a phone, a table wide enough
 * for its columns would push each row's actions off the screen. */
import { useMediaQuery } from "@mantine/hooks";

export const NARROW_QUERY = "(max-width: 48em)";

/** The minimum width of a table's scroll container: none when it shows as cards. */
export function useTableMinWidth(wide: number): number {
  return useMediaQuery(NARROW_QUERY) ? 0 : wide;
}
