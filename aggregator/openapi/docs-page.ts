// A self-contained reference page: loads nothing from the network but the two OpenAPI documents
// of this server, and renders them with a small inline script (no CDN, no framework).

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vigil API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:1rem 2rem;color:#1d2330}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ccd}
details{border:1px solid #dde;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f5f6fa;padding:.5rem;overflow:auto;max-height:24rem}
.m{display:inline-block;min-width:4rem;font-weight:600;text-transform:uppercase}
.get{color:#0a7}.post{color:#c60}.sec{color:#667;font-size:12px;margin-left:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:2px 6px;text-align:left;vertical-align:top}
</style></head><body>
<h1>Vigil API reference</h1>
<p>Raw documents: <a href="/openapi.json">/openapi.json</a> (aggregator) · <a href="/openapi/edge.json">/openapi/edge.json</a> (edge).</p>
<div id="out">Loading…</div>
<script>
"use strict";
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[c]);
const pre = (o) => "<pre>" + esc(JSON.stringify(o, null, 2)) + "</pre>";
function op(method, path, o) {
  const sec = (o.security || []).map((s) => Object.keys(s).join("+")).join(", ") || "public";
  let h = "<details><summary><span class='m " + method + "'>" + method + "</span><code>" + esc(path) + "</code> — " +
    esc(o.summary || "") + "<span class='sec'>" + esc(sec) + "</span></summary>";
  if (o.description) h += "<p>" + esc(o.description) + "</p>";
  if (o.parameters) {
    h += "<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>" + o.parameters.map((p) =>
      "<tr><td><code>" + esc(p.name) + "</code></td><td>" + esc(p.in) + "</td><td>" + (p.required ? "yes" : "no") +
      "</td><td><code>" + esc(JSON.stringify(p.schema)) + "</code></td></tr>").join("") + "</table>";
  }
  if (o.requestBody) h += "<h4>Request body</h4>" + pre(o.requestBody.content["application/json"].schema);
  for (const [status, r] of Object.entries(o.responses || {})) {
    h += "<h4>" + esc(status) + " " + esc(r.description) + "</h4>";
    if (r.content) for (const c of Object.values(r.content)) h += pre(c.schema);
  }
  return h + "</details>";
}
function render(doc) {
  let h = "<h2>" + esc(doc.info.title) + " <small>" + esc(doc.info.version) + "</small></h2><p>" + esc(doc.info.description || "") + "</p>";
  for (const [path, item] of Object.entries(doc.paths)) for (const [m, o] of Object.entries(item)) h += op(m, path, o);
  return h;
}
Promise.all(["/openapi.json", "/openapi/edge.json"].map((u) => fetch(u).then((r) => r.json())))
  .then((docs) => { document.getElementById("out").innerHTML = docs.map(render).join(""); })
  .catch((e) => { document.getElementById("out").textContent = "Could not load the OpenAPI documents: " + e; });
</script></body></html>`;
