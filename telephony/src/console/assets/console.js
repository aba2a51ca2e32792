// Switchboard console: plain JavaScript, no build step. All data comes from
// the authenticated API; every text from the server is set as textContent.
"use strict";

const $ = (id) => document.getElementById(id);
let me = null;          // {username, role, csrf}
let callsFeed = null;   // EventSource of live calls
let callFeed = null;    // EventSource of the selected call
let selected = null;    // selected call id
let calls = [];
let clockTimer = null;
let pc = null;          // RTCPeerConnection of the call being listened to
let mic = null;         // the microphone while barging in

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = me ? me.csrf || "" : "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { signedOut("Your session has ended. Sign in again."); throw new Error("signed out"); }
  return r;
}

function show(view) {
  $("signin-view").hidden = view !== "signin";
  $("console-view").hidden = view !== "console";
  $("who").hidden = view !== "console";
}

function signedOut(msg) {
  me = null;
  if (callsFeed) { callsFeed.close(); callsFeed = null; }
  if (callFeed) { callFeed.close(); callFeed = null; }
  if (pc) stopListening();
  if (clockTimer) { clearInterval(clockTimer); clockTimer = null; }
  selected = null;
  $("call").hidden = true;
  $("signin-error").textContent = msg || "";
  show("signin");
}

async function start() {
  const r = await fetch("/api/me", { credentials: "same-origin" });
  if (r.ok) { me = await r.json(); enter(); } else { signedOut(""); }
}

function enter() {
  $("who-name").textContent = me.username;
  $("who-role").textContent = me.role;
  const canAct = me.role === "supervisor" || me.role === "admin";
  $("controls").hidden = !canAct;
  show("console");
  openCallsFeed();
  loadTasks();
  loadPast();
  clockTimer = setInterval(renderCalls, 1000);
}

$("signin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("signin-error").textContent = "";
  const r = await fetch("/console/signin", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }) });
  $("password").value = "";
  if (r.ok) { me = await r.json(); enter(); return; }
  let msg = "Sign-in failed.";
  try { msg = (await r.json()).error || msg; } catch (_) {}
  $("signin-error").textContent = msg;
});

$("signout").addEventListener("click", async () => {
  try { await api("POST", "/console/signout"); } catch (_) {}
  signedOut("Signed out.");
});

function openCallsFeed() {
  callsFeed = new EventSource("/api/console/calls");
  callsFeed.addEventListener("calls", (e) => { calls = JSON.parse(e.data); renderCalls(); });
  callsFeed.onopen = () => { $("feed-state").textContent = "live"; };
  callsFeed.onerror = async () => {
    $("feed-state").textContent = "reconnecting…";
    const r = await fetch("/api/me", { credentials: "same-origin" });
    if (r.status === 401) signedOut("Your session has ended. Sign in again.");
  };
}

function since(iso) {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function renderCalls() {
  const body = $("calls");
  body.replaceChildren();
  $("no-calls").hidden = calls.length > 0;
  $("live-count").textContent = String(calls.length);
  for (const c of calls) {
    const tr = el("tr", "call" + (c.call_id === selected ? " selected" : ""));
    tr.dataset.call = c.call_id;
    tr.append(el("td", null, c.call_id), el("td", null, c.direction), el("td", null, c.from || "—"));
    const st = el("td"); st.append(el("span", "badge" + (c.taken_over ? " warn" : ""), c.taken_over ? "taken over" : c.state));
    const ver = el("td"); ver.append(el("span", "badge " + (c.verified ? "ok" : "bad"), c.verified ? "verified" : "not verified"));
    tr.append(st, ver, el("td", null, c.intent || "—"), el("td", null, c.tier || "—"), el("td", null, since(c.started_at)));
    const fn = el("td");
    for (const f of c.functions.slice(-4)) {
      fn.append(el("div", f.latency_ms > f.budget_ms ? "fn-over" : null, `${f.name} ${f.latency_ms} / ${f.budget_ms} (${f.outcome})`));
    }
    tr.append(fn);
    tr.addEventListener("click", () => selectCall(c.call_id));
    body.append(tr);
    if (c.call_id === selected) renderBadges(c);
  }
}

function renderBadges(c) {
  const b = $("call-badges");
  b.replaceChildren(el("span", "badge " + (c.verified ? "ok" : "bad"), c.verified ? "verified" : "not verified"));
  if (c.taken_over) b.append(" ", el("span", "badge warn", "you have the call"));
  $("takeover").disabled = c.taken_over;
  $("handback").disabled = !c.taken_over;
  $("speak-form").hidden = !c.taken_over;
}

function addLine(list, l) {
  const li = el("li", l.kind);
  const who = { caller: "Caller", bot: "Bot", supervisor: `Supervisor${l.by ? " " + l.by : ""}`,
    guidance: `Guidance${l.by ? " from " + l.by : ""}`, event: "" }[l.kind];
  if (who) li.append(el("span", "who", who + ":"));
  li.append(document.createTextNode(l.text));
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

function stopListening() {
  if (pc) { pc.close(); pc = null; }
  if (mic) { mic.getTracks().forEach((t) => t.stop()); mic = null; }
  $("listen-audio").srcObject = null;
  $("listen").textContent = "Listen";
  $("barge").textContent = "Barge in";
  $("listen-state").textContent = "";
}

// Waits (at most 2 s) for ICE gathering, so the offer carries the candidates.
function gathered(conn) {
  if (conn.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((done) => {
    const t = setTimeout(done, 2000);
    conn.addEventListener("icegatheringstatechange", () => {
      if (conn.iceGatheringState === "complete") { clearTimeout(t); done(); }
    });
  });
}

// Listening (recvonly), or barging in (the microphone sent too).
async function startListening(barge) {
  const msg = $("control-msg");
  stopListening();
  if (barge) {
    try {
      mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (e) { msg.textContent = `No microphone: ${e.message}`; return; }
  }
  const conn = new RTCPeerConnection();
  pc = conn;
  if (barge) conn.addTransceiver(mic.getAudioTracks()[0], { direction: "sendrecv", streams: [mic] });
  else conn.addTransceiver("audio", { direction: "recvonly" });
  conn.ontrack = (e) => {
    const a = $("listen-audio");
    a.srcObject = e.streams[0] || new MediaStream([e.track]);
    a.play().catch(() => {});
  };
  conn.onconnectionstatechange = () => {
    const on = barge ? "barging in" : "listening";
    $("listen-state").textContent = conn.connectionState === "connected" ? on : conn.connectionState;
  };
  await conn.setLocalDescription(await conn.createOffer());
  await gathered(conn);
  const r = await api("POST", `/api/calls/${encodeURIComponent(selected)}/${barge ? "barge" : "listen"}`, conn.localDescription);
  if (!r.ok) { msg.textContent = (await r.text()).trim(); stopListening(); return; }
  await conn.setRemoteDescription(await r.json());
  if (barge) {
    $("barge").textContent = "Stop barging";
    msg.textContent = "Barging in: the caller hears you and the bot is quiet.";
  } else {
    $("listen").textContent = "Stop listening";
    msg.textContent = "Listening: the caller does not hear you.";
  }
}

$("listen").addEventListener("click", () => { if (pc && !mic) stopListening(); else startListening(false); });
$("barge").addEventListener("click", () => { if (pc && mic) stopListening(); else startListening(true); });

function selectCall(id) {
  if (callFeed) callFeed.close();
  stopListening();
  selected = id;
  $("call").hidden = false;
  $("call-id").textContent = id;
  $("transcript").replaceChildren();
  $("control-msg").textContent = "";
  renderCalls();
  callFeed = new EventSource(`/api/calls/${encodeURIComponent(id)}/live`);
  callFeed.addEventListener("line", (e) => addLine($("transcript"), JSON.parse(e.data)));
  callFeed.addEventListener("ended", () => {
    addLine($("transcript"), { kind: "event", text: "call ended" });
    stopListening();
    callFeed.close(); callFeed = null;
    loadPast(); loadTasks();
  });
}

async function control(path, body, okMsg) {
  const msg = $("control-msg");
  try {
    const r = await api("POST", `/api/calls/${encodeURIComponent(selected)}/${path}`, body);
    if (r.ok) { msg.textContent = okMsg; return true; }
    let t = await r.text();
    try { t = JSON.parse(t).error || t; } catch (_) {}
    msg.textContent = t.trim();
  } catch (e) { msg.textContent = String(e.message || e); }
  return false;
}

$("guide-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (await control("guidance", { text: $("guide-text").value }, "Guidance sent: the bot acts on it at its next turn.")) $("guide-text").value = "";
});
$("takeover").addEventListener("click", () => control("takeover", undefined, "You have the call: the bot is silent."));
$("handback").addEventListener("click", () => control("handback", undefined, "Handed back to the bot."));
$("speak-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (await control("speak", { text: $("speak-text").value }, "Said to the caller.")) $("speak-text").value = "";
});

async function loadTasks() {
  const r = await api("GET", "/api/tasks");
  const body = $("tasks");
  body.replaceChildren();
  if (!r.ok) { const tr = el("tr"); const td = el("td", "error", "Could not load the queue."); td.colSpan = 6; tr.append(td); body.append(tr); return; }
  const tasks = await r.json();
  tasks.sort((a, b) => String(a.tier).localeCompare(String(b.tier)));
  for (const t of tasks) {
    const tr = el("tr");
    const done = el("button", "secondary", "Done");
    done.addEventListener("click", async () => {
      const r = await api("POST", `/api/tasks/${t.id}/close`, { resolution: "done" });
      if (r.ok) loadTasks();
    });
    const act = el("td"); act.append(done);
    tr.append(el("td", null, t.tier), el("td", null, t.kind), el("td", null, t.reason),
      el("td", null, t.summary), el("td", null, t.due_at ? new Date(t.due_at).toLocaleString() : "—"), act);
    body.append(tr);
  }
  if (!tasks.length) { const tr = el("tr"); const td = el("td", "muted", "Nothing waiting."); td.colSpan = 6; tr.append(td); body.append(tr); }
}

async function loadPast() {
  const r = await api("GET", "/api/calls/recent");
  if (!r.ok) return;
  const body = $("past");
  body.replaceChildren();
  for (const c of await r.json()) {
    if (!c.ended_at) continue;
    const tr = el("tr", "call");
    tr.append(el("td", null, c.call_id), el("td", null, c.from || "—"),
      el("td", null, new Date(c.started_at).toLocaleTimeString()),
      el("td", null, new Date(c.ended_at).toLocaleTimeString()), el("td", null, c.outcome || c.end_reason || "—"));
    tr.addEventListener("click", () => showPast(c.call_id));
    body.append(tr);
  }
}

async function showPast(id) {
  const r = await api("GET", `/api/calls/${encodeURIComponent(id)}/transcript`);
  if (!r.ok) return;
  const t = await r.json();
  $("past-transcript").hidden = false;
  $("past-id").textContent = id;
  const list = $("past-lines");
  list.replaceChildren();
  for (const u of t.utterances) addLine(list, { kind: u.speaker, text: u.text });
  const a = t.analysis;
  $("past-summary").textContent = a
    ? [a.summary, ...(a.follow_up_actions || []).map((f) => `Follow-up: ${typeof f === "string" ? f : JSON.stringify(f)}`)].join(" ")
    : "Analysis pending.";
  // The recording, when calls are recorded: decrypted (and audited) only
  // when played.
  const audio = $("past-audio");
  audio.hidden = !t.recorded;
  audio.src = t.recorded ? `/api/calls/${encodeURIComponent(id)}/recording` : "";
}

start();
