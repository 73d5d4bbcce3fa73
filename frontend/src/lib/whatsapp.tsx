/** WhatsApp's text formatting as React elements: the one renderer of every preview (thread,
 * conversation list, approvals, send preview). It builds elements, never HTML, so a doctor's or
 * an agent's text can never inject markup.
 *
 * The rules are the server's (`surgiai/conversations/formatting.py`): `*bold*`, `_italic_`,
 * `~strike~`, ```` ```monospace``` ````, `` `inline code` ``, `> quote`, `- ` / `* ` bullets. A
 * marker formats only when it hugs the text (`*bold*`, not `* bold *`) at a word boundary
 * (`2*3*4` stays as typed); nothing inside monospace is formatted. */
import { Fragment, type ReactNode } from "react";

const WORD = "\\p{L}\\p{N}\\p{M}_";
const MONO_BLOCK = /```([\s\S]+?)```/gu;
const INLINE_CODE = new RegExp(`(?<![${WORD}\`])\`([^\`\\n]+?)\`(?![${WORD}\`])`, "gu");

/** `marker` as written inside and outside a character class (only `*` needs escaping). */
function span(marker: string): RegExp {
  const m = marker === "*" ? "\\*" : marker;
  return new RegExp(`(?<![${WORD}${m}])${m}(?=\\S)([^\\n]*?\\S)${m}(?![${WORD}${m}])`, "gu");
}

type Wrap = (children: ReactNode, key: string) => ReactNode;
const SPANS: [RegExp, Wrap][] = [
  [span("*"), (children, key) => <strong key={key}>{children}</strong>],
  [span("_"), (children, key) => <em key={key}>{children}</em>],
  [span("~"), (children, key) => <del key={key}>{children}</del>],
];

/** Types whose text is the sender's own words; a template summary or an emoji is not. */
const UNFORMATTED_TYPES = new Set(["template", "reaction", "location", "contacts"]);

export function carriesFormatting(type: string): boolean {
  return !UNFORMATTED_TYPES.has(type);
}

/** Split `text` on `pattern`: the parts between matches through `plain`, each match's first
 * group through `matched`. */
function splitOn(
  text: string,
  pattern: RegExp,
  plain: (part: string, key: string) => ReactNode,
  matched: (inner: string, key: string) => ReactNode,
  key: string,
): ReactNode[] {
  const nodes: ReactNode[] = [];
  let last = 0;
  let index = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index;
    if (start > last) nodes.push(plain(text.slice(last, start), `${key}.${index++}`));
    nodes.push(matched(match[1]!, `${key}.${index++}`));
    last = start + match[0].length;
  }
  if (last < text.length) nodes.push(plain(text.slice(last), `${key}.${index++}`));
  return nodes;
}

/** Bold, then italic, then strike, each inside the ones before (as WhatsApp nests them). */
function spans(text: string, level: number, key: string): ReactNode {
  const rule = SPANS[level];
  if (!rule) return text;
  const [pattern, wrap] = rule;
  const nodes = splitOn(
    text,
    pattern,
    (part, k) => <Fragment key={k}>{spans(part, level + 1, k)}</Fragment>,
    (inner, k) => wrap(spans(inner, level + 1, k), k),
    key,
  );
  return nodes.length === 1 ? nodes[0] : nodes;
}

function inline(text: string, key: string): ReactNode[] {
  return splitOn(
    text,
    INLINE_CODE,
    (part, k) => <Fragment key={k}>{spans(part, 0, k)}</Fragment>,
    (inner, k) => <code key={k}>{inner}</code>,
    key,
  );
}

type Piece = { code: string } | { text: string };

/** The text in lines, each a run of pieces; a monospace block may span lines of its own. */
function lines(text: string): Piece[][] {
  const result: Piece[][] = [[]];
  let last = 0;
  const addText = (part: string) => {
    part.split("\n").forEach((line, i) => {
      if (i > 0) result.push([]);
      if (line) result.at(-1)!.push({ text: line });
    });
  };
  for (const match of text.matchAll(MONO_BLOCK)) {
    addText(text.slice(last, match.index));
    result.at(-1)!.push({ code: match[1]! });
    last = match.index + match[0].length;
  }
  addText(text.slice(last));
  return result;
}

function line(pieces: Piece[], key: string, oneLine: boolean): ReactNode {
  const first = pieces[0];
  let quote = false;
  let prefix = "";
  let rest = pieces;
  if (first && "text" in first) {
    const marker = /^(> ?|[-*] )/.exec(first.text);
    if (marker) {
      quote = marker[1]!.startsWith(">");
      prefix = quote ? "" : "• ";
      rest = [{ text: first.text.slice(marker[1]!.length) }, ...pieces.slice(1)];
    }
  }
  const content = [
    prefix,
    ...rest.map((piece, i) =>
      "code" in piece ? (
        <code key={`${key}.c${i}`}>{piece.code}</code>
      ) : (
        <Fragment key={`${key}.t${i}`}>{inline(piece.text, `${key}.t${i}`)}</Fragment>
      ),
    ),
  ];
  if (quote && !oneLine) return <blockquote key={key}>{content}</blockquote>;
  return <Fragment key={key}>{content}</Fragment>;
}

/** `text` with its WhatsApp formatting; `oneLine` joins the lines for a one-line preview. */
export function WhatsAppText({ text, oneLine = false }: { text: string; oneLine?: boolean }) {
  const rendered = lines(text.replace(/\0/g, ""));
  return (
    <>
      {rendered.map((pieces, i) => (
        <Fragment key={i}>
          {i > 0 && (oneLine ? " " : <br />)}
          {line(pieces, String(i), oneLine)}
        </Fragment>
      ))}
    </>
  );
}
