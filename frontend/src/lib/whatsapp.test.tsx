import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WhatsAppText, carriesFormatting } from "./whatsapp";

function html(text: string, oneLine = false): string {
  const { container } = render(
    <div>
      <WhatsAppText text={text} oneLine={oneLine} />
    </div>,
  );
  return container.firstElementChild!.innerHTML;
}

describe("WhatsAppText", () => {
  it("renders bold, italic, strike and monospace as WhatsApp does", () => {
    expect(html("*₹4,500* per box")).toBe("<strong>₹4,500</strong> per box");
    expect(html("_Source: Catalogue 2026, p. 3_")).toBe("<em>Source: Catalogue 2026, p. 3</em>");
    expect(html("~old price~ new")).toBe("<del>old price</del> new");
    expect(html("code ```A*B*C``` here")).toBe("code <code>A*B*C</code> here");
    expect(html("`TRC-5`")).toBe("<code>TRC-5</code>");
    expect(html("*bold _both_*")).toBe("<strong>bold <em>both</em></strong>");
  });

  it("leaves markers that do not hug a word as typed", () => {
    expect(html("2*3*4 and * spaced * and snake_case_name")).toBe(
      "2*3*4 and * spaced * and snake_case_name",
    );
  });

  it("renders lines, bullets and quotes", () => {
    expect(html("Which one?\n- *5 mm*\n* 10 mm")).toBe(
      "Which one?<br>• <strong>5 mm</strong><br>• 10 mm",
    );
    expect(html("> your question\nanswer")).toBe(
      "<blockquote>your question</blockquote><br>answer",
    );
    expect(html("one\ntwo", true)).toBe("one two");
  });

  it("never turns text into markup", () => {
    expect(html('<img src=x onerror="alert(1)"> *<b>hi</b>*')).toBe(
      '&lt;img src=x onerror="alert(1)"&gt; <strong>&lt;b&gt;hi&lt;/b&gt;</strong>',
    );
  });

  it("knows which messages carry formatting", () => {
    expect(carriesFormatting("text")).toBe(true);
    expect(carriesFormatting("image")).toBe(true);
    expect(carriesFormatting("template")).toBe(false);
  });
});
