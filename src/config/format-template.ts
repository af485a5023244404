/**
 * The subset of Python's str.format that HTCondor's scope templates use: `{name}` fields and `{{` / `}}` escapes.
 * Throws RangeError for an unknown field or an unbalanced brace, so config parsing can name the knob.
 */
export function formatTemplate(template: string, fields: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '{') {
      if (template[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const end = template.indexOf('}', i);
      if (end === -1) throw new RangeError(`unbalanced "{" at position ${i}`);
      const name = template.slice(i + 1, end);
      const value = fields[name];
      if (value === undefined)
        throw new RangeError(
          `unknown field {${name}}; allowed: ${Object.keys(fields)
            .map((f) => `{${f}}`)
            .join(', ')}`,
        );
      out += value;
      i = end;
    } else if (c === '}') {
      if (template[i + 1] !== '}') throw new RangeError(`unbalanced "}" at position ${i}`);
      out += '}';
      i++;
    } else {
      out += c;
    }
  }
  return out;
}
