/** Escapes text for HTML element content and attribute values: the only escaping function of src/. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A piece of HTML that is already safe: built by `html`, so every text in it was escaped. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** A tagged template whose interpolations are escaped unless they are `Html` (already safe). */
export function html(
  strings: TemplateStringsArray,
  ...values: Array<string | number | Html | Html[] | undefined>
): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof Html) out += v.value;
    else if (Array.isArray(v)) out += v.map((h) => h.value).join('');
    else if (v !== undefined) out += escapeHtml(String(v));
    out += strings[i + 1] ?? '';
  });
  return new Html(out);
}
