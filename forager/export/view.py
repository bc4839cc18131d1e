"""`forager view`: one self-contained HTML page (no network) to browse episodes: a filterable,
searchable list, and for each episode its turns (reasoning, call, observation), the submitted
diff and the grading."""

from __future__ import annotations

import json
from pathlib import Path

from forager.export import reader
from forager.records.dataset import ExportSpec

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Forager episodes</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;display:flex;height:100vh}
#side{width:34%;overflow:auto;border-right:1px solid #ccc;padding:8px;box-sizing:border-box}
#main{flex:1;overflow:auto;padding:12px}
.ep{padding:4px;cursor:pointer;border-bottom:1px solid #eee;font-size:13px}
.ep:hover,.ep.sel{background:#eef}
.ok{color:#070}.no{color:#a00}
pre{white-space:pre-wrap;background:#f6f6f6;padding:6px;margin:4px 0;font-size:12px}
.turn{border:1px solid #ddd;margin:8px 0;padding:6px}
.role{font-weight:bold}
.add{color:#070}.del{color:#a00}
</style></head><body>
<div id="side">
<input id="search" placeholder="search text" style="width:100%">
<select id="status"><option value="">any status</option></select>
<select id="resolved"><option value="">resolved or not</option><option value="1">resolved</option><option value="0">unresolved</option></select>
<div id="count"></div><div id="list"></div></div>
<div id="main"><p>Choose an episode.</p></div>
<script id="data" type="application/json">__DATA__</script>
<script>
const EPS = JSON.parse(document.getElementById('data').textContent);
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
for (const s of [...new Set(EPS.map(e => e.exit_status))].sort()) {
  const o = document.createElement('option'); o.value = s; o.textContent = s; $('status').appendChild(o); }
function cls(l){ return l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : ''; }
function diff(p){ return p.split('\\n').map(l => '<span class="'+cls(l)+'">'+esc(l)+'</span>').join('\\n'); }
function show(i){
  const e = EPS[i];
  document.querySelectorAll('.ep').forEach(d => d.classList.toggle('sel', d.dataset.i == i));
  let h = '<h2 id="title">'+esc(e.instance_id)+'</h2><p>'+esc(e.repo)+' &middot; '+esc(e.policy)+' / '+esc(e.model)+
    ' &middot; '+esc(e.exit_status)+' &middot; <b class="'+(e.resolved?'ok':'no')+'">'+(e.resolved?'resolved':'unresolved')+'</b></p>';
  e.messages.forEach((m, j) => {
    h += '<div class="turn"><div class="role">'+esc(m.role)+'</div>';
    if (m.reasoning) h += '<div>reasoning</div><pre class="reasoning">'+esc(m.reasoning)+'</pre>';
    if (m.call) h += '<div>call</div><pre class="call">'+esc(m.call)+'</pre>';
    h += '<pre class="content">'+esc(m.content)+'</pre></div>'; });
  h += '<h3>submitted patch</h3><pre id="diff">'+diff(e.patch || '(none)')+'</pre>';
  h += '<h3>grading</h3><pre id="grading">'+esc(e.grading)+'</pre>';
  $('main').innerHTML = h;
}
function render(){
  const q = $('search').value.toLowerCase(), st = $('status').value, rs = $('resolved').value;
  const shown = EPS.map((e, i) => [e, i]).filter(([e]) => (!st || e.exit_status == st) &&
    (!rs || String(+e.resolved) == rs) && (!q || e.search.includes(q)));
  $('count').textContent = shown.length + ' of ' + EPS.length + ' episodes';
  $('list').innerHTML = shown.map(([e, i]) => '<div class="ep" data-i="'+i+'"><span class="'+(e.resolved?'ok':'no')+'">&#9679;</span> '+
    esc(e.instance_id)+' <small>'+esc(e.exit_status)+', '+e.turns+' turns</small></div>').join('');
  document.querySelectorAll('.ep').forEach(d => d.onclick = () => show(+d.dataset.i));
}
['search','status','resolved'].forEach(id => $(id).oninput = render);
render(); if (EPS.length) show(0);
</script></body></html>
"""


def build(paths: list[Path], out: Path, limit: int = 0) -> tuple[int, list[str]]:
    spec = ExportSpec(ungraded="keep")
    log = reader.ReadLog()
    eps = []
    for _, _, t in reader.read_all(paths, spec, log):
        calls = iter(t.turns)
        msgs = []
        for m in t.messages:
            call = ""
            if m.role == "assistant":
                turn = next(calls, None)
                if turn is not None and turn.tool.name:
                    a = turn.tool.arguments
                    call = turn.tool.name + "(" + ", ".join(f"{k}={v!r}" for k, v in a.model_dump().items() if v) + ")"
            msgs.append({"role": m.role, "content": m.content, "reasoning": m.reasoning, "call": call})
        g = t.grading
        grading = (f"resolved: {g.resolved}  applied: {g.applied} ({g.apply_method})  error: {g.error}\n"
                   + "\n".join(f"{r.status:8} {r.test}" for r in g.fail_to_pass + g.pass_to_pass) + ("\n\n" + g.log if g.log else ""))
        eps.append({"instance_id": t.instance_id, "trajectory_id": t.trajectory_id, "repo": t.repo, "policy": t.policy,
                    "model": t.model, "exit_status": t.exit_status.value, "resolved": g.resolved, "turns": len(t.turns),
                    "messages": msgs, "patch": t.submitted_patch, "grading": grading,
                    "search": " ".join([t.instance_id, t.repo, t.problem_statement] + [m.content for m in t.messages]).lower()})
        if limit and len(eps) >= limit:
            break
    data = json.dumps(eps, ensure_ascii=True).replace("</", "<\\/")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(PAGE.replace("__DATA__", data))
    return len(eps), [str(p) for p in log.problems]
