/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tagged template whose interpolations are escaped unless they are `Html` (already safe). */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: Array<string | number | Html | Html[] | undefined>): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof Html) out += v.value;
    else if (Array.isArray(v)) out += v.map((h) => h.value).join('');
    else if (v !== undefined) out += escapeHtml(String(v));
    out += strings[i + 1] ?? '';
  });
  return new Html(out);
}

export const PAGE_STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ccc;vertical-align:top}
.button{display:inline-block;padding:.45rem 1rem;background:#0b5cad;color:#fff;border-radius:.3rem;text-decoration:none;font-weight:600}
.button:focus{outline:3px solid #f5a623}.ok{color:#0a6b2d;font-weight:600}.todo{color:#8a4b00;font-weight:600}
.note{background:#eef4fb;border-left:4px solid #0b5cad;padding:.6rem 1rem}.error{background:#fdeeee;border-left:4px solid #b3261e;padding:.6rem 1rem}
code{background:#f2f2f2;padding:0 .2rem}`;

/** The page frame: language, title, one <main>, no JavaScript. */
export function page(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – HTCondor credentials</title><style>${PAGE_STYLE}</style></head>
<body><header><p>HTCondor credential manager (credmon-sandbox)</p></header><main>
<h1>${escapeHtml(title)}</h1>
${body.value}
</main></body></html>`;
}
