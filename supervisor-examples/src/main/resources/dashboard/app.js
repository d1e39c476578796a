// agentd dashboard: one table, refreshed from /api/daemons whenever /api/events reports a change.
'use strict';
const tbody = document.querySelector('#children tbody');
const message = document.getElementById('message');
const LOGGED_OUT = 'not logged in (the session ended or agentd restarted): run agentd daemon login-url and open the URL it prints';
let refreshQueued = false;

function human(ms) {
  if (ms == null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
  return Math.floor(s / 86400) + 'd' + String(Math.floor(s % 86400 / 3600)).padStart(2, '0') + 'h';
}

function bytes(b) {
  if (b == null) return '-';
  return b >= 1 << 20 ? (b / (1 << 20)).toFixed(1) + ' MiB' : Math.round(b / 1024) + ' KiB';
}

function spark(counts) {
  const w = 90, h = 18, max = Math.max(1, ...counts);
  const pts = counts.map((c, i) => (i * w / (counts.length - 1)).toFixed(1) + ',' + (h - 1 - c * (h - 2) / max).toFixed(1));
  const total = counts.reduce((a, b) => a + b, 0);
  return `<svg class="spark" width="${w}" height="${h}" role="img" aria-label="${total} restarts in the last hour">` +
    `<polyline fill="none" stroke="${total ? '#d9480f' : '#9aa3b2'}" stroke-width="1.5" points="${pts.join(' ')}"/></svg>`;
}

function cell(text, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

function render(status) {
  const s = status.supervisor;
  document.getElementById('supervisor').textContent =
    `${s.state} · pid ${s.pid} · up ${human(s.uptimeMs)} · ${s.home}`;
  const b = s.breaker;
  const bp = document.getElementById('breaker');
  bp.hidden = !b || b.state !== 'OPEN';
  if (b && b.state === 'OPEN') bp.textContent = `Storm breaker OPEN: trying ${b.probe || '-'} first, holding ${(b.held || []).join(', ')}`;
  const rows = [];
  for (const c of status.children) {
    const tr = document.createElement('tr');
    tr.dataset.name = c.name;
    tr.dataset.state = c.state;
    tr.appendChild(cell(c.name, 'name'));
    const st = document.createElement('td');
    st.innerHTML = `<span class="badge s-${c.state}">${c.state}</span>`;
    st.className = 'state';
    tr.appendChild(st);
    tr.appendChild(cell(c.pid == null ? '-' : String(c.pid), 'num pid'));
    tr.appendChild(cell(human(c.uptimeMs), 'num uptime'));
    tr.appendChild(cell(String(c.restarts), 'num restarts'));
    const sp = document.createElement('td');
    sp.innerHTML = spark(c.restartsPerMinute || new Array(60).fill(0));
    tr.appendChild(sp);
    tr.appendChild(cell(c.cpuMs == null ? '-' : (c.cpuMs / 1000).toFixed(2) + 's', 'num cpu'));
    tr.appendChild(cell(bytes(c.rssBytes), 'num rss'));
    tr.appendChild(cell(c.lastExit ? c.lastExit.text : '-', 'exit'));
    const act = document.createElement('td');
    for (const a of ['restart', 'stop', 'start']) {
      const btn = document.createElement('button');
      btn.textContent = a;
      btn.dataset.action = a;
      btn.dataset.name = c.name;
      btn.addEventListener('click', () => act_(a, c.name));
      act.appendChild(btn);
    }
    tr.appendChild(act);
    rows.push(tr);
  }
  tbody.replaceChildren(...rows);
}

async function refresh() {
  refreshQueued = false;
  try {
    const r = await fetch('/api/daemons', { cache: 'no-store' });
    if (r.status === 401) { message.textContent = LOGGED_OUT; return; }
    if (!r.ok) throw new Error((await r.json()).error.message);
    render(await r.json());
    if (message.textContent === LOGGED_OUT) message.textContent = '';
  } catch (e) {
    message.textContent = 'cannot read status: ' + e.message;
  }
}

function refreshSoon() {
  if (!refreshQueued) {
    refreshQueued = true;
    setTimeout(refresh, 50);
  }
}

// the session cookie (HttpOnly, SameSite=Strict) goes with every same-origin request: the page holds no token
async function act_(action, name) {
  const r = await fetch(`/api/daemons/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
  message.textContent = r.ok ? '' : r.status === 401 ? LOGGED_OUT : `${action} ${name}: ${(await r.json()).error.message}`;
  refreshSoon();
}

function live() {
  const dot = document.getElementById('live');
  const es = new EventSource('/api/events');
  es.onopen = () => { dot.className = 'live on'; refreshSoon(); };
  es.onmessage = refreshSoon;
  for (const t of ['ChildStateChanged', 'RestartScheduled', 'ChildGaveUp', 'StormBreakerTripped', 'StormBreakerClosed',
                   'SupervisorStateChanged']) {
    es.addEventListener(t, refreshSoon);
  }
  es.onerror = () => { dot.className = 'live off'; };
}

refresh();
live();
setInterval(refresh, 5000); // uptimes move even when nothing happens
