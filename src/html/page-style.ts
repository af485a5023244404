import { createHash } from 'node:crypto';

/**
 * The one style sheet of every page of both apps (the web app's and the demo provider's), sent inline in <style>
 * and allowed by its hash in the one CSP (page-headers.ts): no 'unsafe-inline', no style attribute anywhere.
 */
export const PAGE_STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}',
  'h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}',
  'th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ccc;vertical-align:top}',
  '.button{display:inline-block;padding:.45rem 1rem;background:#0b5cad;color:#fff;border-radius:.3rem}',
  '.button{text-decoration:none;font-weight:600}.button:focus{outline:3px solid #f5a623}',
  '.ok{color:#0a6b2d;font-weight:600}.todo{color:#8a4b00;font-weight:600}',
  '.note{background:#eef4fb;border-left:4px solid #0b5cad;padding:.6rem 1rem}',
  '.error{background:#fdeeee;border-left:4px solid #b3261e;padding:.6rem 1rem}',
  '.banner{background:#fff3cd;border-left:4px solid #c9a227;padding:.6rem 1rem}',
  'code{background:#f2f2f2;padding:0 .2rem}',
  'form{max-width:32rem}label{display:block;margin-top:.75rem}',
  'input{font-size:1rem;padding:.3rem;width:100%;box-sizing:border-box}',
  'button{font-size:1rem;margin:1rem .5rem 0 0;padding:.4rem 1.2rem}',
].join('\n');

/** The CSP source that allows exactly PAGE_STYLE. */
export const PAGE_STYLE_SOURCE = `'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`;
