// Psoas Coach live page: webcam pictures (pose on the server) or BlazePose keypoints (pose in
// this browser, browser_pose.js; ?pose=browser|server|auto) to the server over a WebSocket
// (protocol psoas-live@1, see psoas_coach/live/protocol.py), overlay and spoken cues from its
// answers.
"use strict";

(() => {
  const SKELETON = [[11, 12], [23, 24], [11, 23], [12, 24], [11, 13], [13, 15], [12, 14],
    [14, 16], [23, 25], [25, 27], [27, 29], [29, 31], [27, 31], [24, 26], [26, 28], [28, 30],
    [30, 32], [28, 32], [0, 7], [0, 8]];
  const LEFT = new Set([1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]);
  const RIGHT = new Set([4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]);
  const JOINTS = { left: [23, 25, 27], right: [24, 26, 28] };
  const COLORS = { left: "#0072B2", right: "#D55E00", ok: "#009E73", warn: "#E69F00",
    bad: "#C8282B", ink: "#1d2327", neutral: "#e1e1e1" };
  const SEND_WIDTH = 640;
  const JPEG_QUALITY = 0.7;
  const MAX_LOG = 60;
  // Closes for bad use, an error or a full server (protocol.py): the page shows the reason and
  // does not reconnect. Any other drop reconnects (?resume=TOKEN) within the ready's resume_s.
  const FINAL_CLOSES = new Set([1001, 1003, 1008, 1011, 1013]);
  const RETRY_MS = 2000;

  const root = document.getElementById("live");
  const video = document.getElementById("camera");
  const canvas = document.getElementById("overlay");
  const ctx = canvas.getContext("2d");
  const grab = document.createElement("canvas");
  const grabCtx = grab.getContext("2d");
  const startBtn = document.getElementById("start");
  const muteBtn = document.getElementById("mute");
  const endBtn = document.getElementById("end");
  const connection = document.getElementById("connection");
  const eventList = document.getElementById("events");

  const poseMode = document.getElementById("pose-mode");
  const BrowserPose = window.PsoasBrowserPose;

  const state = { ws: null, maxFps: 15, inFlight: false, lastSent: 0, timer: null,
    latest: null, muted: false, paused: false, frames: 0, events: 0, estimator: null,
    session: null, resumeS: 0, droppedAt: null, lang: "en" };

  function setState(name) { root.dataset.state = name; }

  // A rep figure to one decimal with its unit; "–" for one that could not be measured (null in
  // the report, with the reason in not_measured: psoas_coach/reps/types.py OPTIONAL_FIGURES).
  function fmt(value, unit) {
    return value === null || value === undefined ? "–" : `${value.toFixed(1)}${unit}`;
  }

  function say(text) {
    if (state.muted || !("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = state.lang; // the cue texts' language (the team's), for the right voice
    utterance.rate = 1.05;
    window.speechSynthesis.speak(utterance);
  }

  function log(text, kind) {
    // Newest at the bottom; a line equal to the last one is not repeated.
    const last = eventList.lastElementChild;
    if (last && last.textContent === text) return;
    const item = document.createElement("li");
    item.textContent = text;
    item.className = kind || "";
    eventList.append(item);
    while (eventList.children.length > MAX_LOG) eventList.firstElementChild.remove();
    eventList.scrollTop = eventList.scrollHeight;
  }

  function usePose(choice) {
    state.estimator = choice.estimator;
    root.dataset.poseMode = choice.mode;
    poseMode.textContent = BrowserPose.describe(choice);
  }

  async function start() {
    if (video.srcObject) { newSet(); return; }
    startBtn.disabled = true;
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia(
        { video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      await video.play();
    } catch (err) {
      connection.textContent = `Camera not available: ${err.message}`;
      video.srcObject = null;
      startBtn.disabled = false;
      return;
    }
    requestAnimationFrame(draw);
    const asked = BrowserPose.requestedMode(window.location.search);
    usePose(await BrowserPose.choose(asked, root.dataset.poseBase || "pose/", video,
      (text) => { poseMode.textContent = `Pose: ${text}`; }));
    connect();
  }

  function withinGrace() {
    return state.droppedAt === null || performance.now() - state.droppedAt < state.resumeS * 1000;
  }

  function connect(resume) {
    const url = new URL(root.dataset.ws || "ws", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (resume) url.searchParams.set("resume", resume);
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { connection.textContent = "Connected"; };
    ws.onmessage = (message) => onMessage(JSON.parse(message.data));
    ws.onclose = (event) => {
      state.inFlight = false;
      endBtn.disabled = muteBtn.disabled = true;
      if (!FINAL_CLOSES.has(event.code) && state.session && withinGrace()) {
        // A dropped connection: the same set goes on if the server still holds it.
        if (state.droppedAt === null) state.droppedAt = performance.now();
        connection.textContent = "Connection lost: reconnecting…";
        setState("reconnecting");
        setTimeout(() => connect(state.session), RETRY_MS);
        return;
      }
      const why = event.reason ? `${event.reason}; ` : "";
      connection.textContent = `Disconnected: ${why}reload the page to start again`;
      setState("closed");
    };
    state.ws = ws;
  }

  function onMessage(msg) {
    if (msg.type === "ready") {
      state.maxFps = Math.min((state.estimator && msg.max_pose_fps) || msg.max_fps || 15, 20);
      if (state.droppedAt !== null) {
        log(msg.resumed ? "Reconnected: the set goes on"
          : "Reconnected: a new set started (the dropped one could not be resumed)", "setup");
      }
      state.droppedAt = null;
      state.session = msg.session || null;
      state.resumeS = msg.resume_s || 0;
      state.lang = msg.lang || "en";
      root.dataset.lang = state.lang;
      const modes = msg.pose_modes;
      if (state.estimator && Array.isArray(modes) && !modes.includes("browser")) {
        state.estimator.close();
        usePose({ mode: "server", estimator: null, rate: null, reason: "this server takes pictures only" });
      }
      setState("ready");
      endBtn.disabled = muteBtn.disabled = false;
      pump();
    } else if (msg.type === "frame") {
      state.inFlight = false;
      state.latest = msg;
      state.frames += 1;
      root.dataset.frames = String(state.frames);
      msg.events.forEach(onEvent);
      pump();
    } else if (msg.type === "report") {
      state.inFlight = false;
      msg.events.forEach(onEvent);
      showReport(msg.report);
      showSaved(msg.saved);
    } else if (msg.type === "error") {
      state.inFlight = false;
      log(`Server: ${msg.message}`, "error");
      pump();
    }
  }

  function showSaved(saved) {
    // The dashboard saves each set as a session of the athlete and links to it.
    const box = document.getElementById("saved");
    if (!box || !saved) return;
    if (saved.url && saved.url.startsWith("/")) {
      const link = document.createElement("a");
      link.href = saved.url;
      link.id = "saved-link";
      link.textContent = "open the session";
      box.replaceChildren("Saved: ", link);
    } else {
      box.textContent = `Set not saved: ${saved.error || "unknown error"}`;
    }
    box.classList.toggle("failed", !saved.url);
    box.hidden = false;
  }

  function onEvent(event) {
    state.events += 1;
    root.dataset.events = String(state.events);
    // The log stays calm: one line per rep, what to fix in the set-up; countdown words,
    // praise and fault cues are spoken and shown on the picture only.
    if (event.type === "cue") {
      if (event.spoken) say(event.text);
      if (event.category === "setup") log(event.text, "setup");
    } else if (event.type === "rep_finished") {
      const rep = event.rep;
      const faults = rep.faults.length ? ` (${rep.faults.join(", ").replaceAll("_", " ")})` : "";
      log(`Rep ${event.counts[rep.side]} ${rep.side}: hold ${fmt(rep.hold_s, " s")}${faults}`,
        rep.faults.length ? "rep faulty" : "rep");
    } else if (event.type === "setup" && event.ready) {
      log("Setup done: counting", "setup");
    }
  }

  function pump() {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || state.inFlight || state.paused || state.timer) {
      return;
    }
    const wait = Math.max(0, state.lastSent + 1000 / state.maxFps - performance.now());
    state.timer = setTimeout(() => { state.timer = null; sendPicture(); }, wait);
  }

  async function sendPose(ws) {
    // Pose in this browser: only the keypoints leave the device (the "pose" message).
    const time_s = performance.now() / 1000;
    const width = video.videoWidth, height = video.videoHeight;
    let landmarks;
    try {
      landmarks = await state.estimator.estimate(video, time_s);
    } catch (err) {  // e.g. the WebGL context was lost: go on with pictures
      usePose({ mode: "server", estimator: null, rate: null, reason: `pose in this browser failed: ${err.message}` });
      state.inFlight = false;
      pump();
      return;
    }
    if (ws.readyState !== WebSocket.OPEN || state.paused) { state.inFlight = false; return; }
    ws.send(JSON.stringify({ type: "pose", time_s, width, height, landmarks }));
  }

  async function sendPicture() {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || state.inFlight || state.paused) return;
    if (video.readyState < 2 || !video.videoWidth) { state.timer = setTimeout(() => { state.timer = null; sendPicture(); }, 50); return; }
    state.inFlight = true;
    state.lastSent = performance.now();
    if (state.estimator) { await sendPose(ws); return; }
    grab.width = SEND_WIDTH;
    grab.height = Math.round(SEND_WIDTH * video.videoHeight / video.videoWidth);
    grabCtx.drawImage(video, 0, 0, grab.width, grab.height);
    const blob = await new Promise((resolve) => grab.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    if (!blob || ws.readyState !== WebSocket.OPEN) { state.inFlight = false; pump(); return; }
    const jpeg = new Uint8Array(await blob.arrayBuffer());
    const message = new Uint8Array(8 + jpeg.byteLength);
    new DataView(message.buffer).setFloat64(0, state.lastSent / 1000, true);
    message.set(jpeg, 8);
    ws.send(message.buffer);
  }

  function toggleMute() {
    state.muted = !state.muted;
    muteBtn.setAttribute("aria-pressed", String(state.muted));
    muteBtn.textContent = state.muted ? "Unmute" : "Mute";
    if (state.muted && "speechSynthesis" in window) window.speechSynthesis.cancel();
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify({ type: "mute", muted: state.muted }));
    }
  }

  function endSet() {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
    state.paused = true;
    state.latest = null;  // the overlay stops with the set
    endBtn.disabled = true;
    state.ws.send(JSON.stringify({ type: "end" }));
  }

  function newSet() {
    document.getElementById("summary").hidden = true;
    state.paused = false;
    state.latest = null;
    endBtn.disabled = false;
    startBtn.disabled = true;
    setState("ready");
    pump();
  }

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  function showReport(report) {
    const s = report.summary;
    const rows = [["Reps", s.reps.left, s.reps.right],
      ["Mean hold", fmt(s.mean_hold_s.left, " s"), fmt(s.mean_hold_s.right, " s")],
      ["Mean extension", fmt(s.mean_extension_s.left, " s"), fmt(s.mean_extension_s.right, " s")],
      ["Reps with faults", s.faulty_reps.left, s.faulty_reps.right]];
    const body = document.getElementById("summary-rows");
    body.replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      row.forEach((value) => tr.appendChild(cell(String(value))));
      return tr;
    }));
    const list = document.getElementById("rep-list");
    list.replaceChildren(...report.reps.map((rep) => {
      const li = document.createElement("li");
      const cues = rep.cues.length ? ` – ${rep.cues[0]}` : "";
      li.textContent = `${rep.side}: hold ${fmt(rep.hold_s, " s")}, extension ${fmt(rep.extension_s, " s")}${cues}`;
      li.className = rep.faults.length ? "faulty" : "";
      return li;
    }));
    const notes = document.getElementById("warnings");
    notes.replaceChildren(...report.warnings.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
    document.getElementById("summary").hidden = false;
    root.dataset.state = "ended";
    startBtn.textContent = "New set";
    startBtn.disabled = false;
  }

  // --- drawing -------------------------------------------------------------------------------

  function fitCanvas() {
    // Draw at the size shown (sharp text), in the camera's aspect ratio.
    const scale = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * scale);
    const height = Math.round(width * video.videoHeight / video.videoWidth);
    canvas.parentElement.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
    if (width > 0 && (canvas.width !== width || canvas.height !== height)) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  function draw() {
    if (video.readyState >= 2 && video.videoWidth) {
      fitCanvas();
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    }
    if (state.paused) drawEnded();
    else if (state.latest) drawOverlay(state.latest);
    requestAnimationFrame(draw);
  }

  function drawEnded() {
    // After End set: the camera picture, dimmed, and no stale skeleton or hold timer.
    const w = canvas.width, h = canvas.height, s = Math.min(w, h) / 480;
    ctx.fillStyle = "rgba(17,17,17,0.55)";
    ctx.fillRect(0, 0, w, h);
    ctx.font = `${Math.round(22 * s)}px system-ui, sans-serif`;
    ctx.fillStyle = "#fff";
    const text = root.dataset.state === "ended" ? "Set ended: New set starts another" : "Ending the set…";
    ctx.fillText(text, Math.max(8, w / 2 - ctx.measureText(text).width / 2), h / 2, w - 16);
    root.dataset.drawn = "0";
    delete root.dataset.hold;
  }

  function edgeColor(a, b) {
    if (LEFT.has(a) && LEFT.has(b)) return COLORS.left;
    if (RIGHT.has(a) && RIGHT.has(b)) return COLORS.right;
    return COLORS.neutral;
  }

  function drawOverlay(frame) {
    const w = canvas.width, h = canvas.height, s = Math.min(w, h) / 480;
    const pts = frame.landmarks.map((p) => (p ? [p[0] * w, p[1] * h] : null));
    ctx.lineWidth = Math.max(2, 4 * s);
    ctx.lineCap = "round";
    let drawn = 0;
    for (const [a, b] of SKELETON) {
      if (!pts[a] || !pts[b]) continue;
      ctx.strokeStyle = edgeColor(a, b);
      ctx.beginPath(); ctx.moveTo(...pts[a]); ctx.lineTo(...pts[b]); ctx.stroke();
      drawn += 1;
    }
    for (const side of ["left", "right"]) {
      for (const i of JOINTS[side]) {
        if (!pts[i]) continue;
        ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(...pts[i], 6 * s, 0, 2 * Math.PI); ctx.fill();
        ctx.fillStyle = COLORS[side]; ctx.beginPath(); ctx.arc(...pts[i], 4 * s, 0, 2 * Math.PI); ctx.fill();
      }
    }
    root.dataset.drawn = String(drawn);
    drawPanel(frame.status, s);
    if (frame.status.hold) drawHold(frame.status.hold, w, s);
    else delete root.dataset.hold;
    drawMessage(frame.status, w, h, s);
  }

  function drawPanel(status, s) {
    const line = 24 * s;
    ctx.fillStyle = "rgba(255,255,255,0.8)";
    ctx.fillRect(8 * s, 8 * s, 250 * s, line * 3 + 12 * s);
    ctx.font = `${Math.round(17 * s)}px system-ui, sans-serif`;
    ctx.fillStyle = COLORS.ink;
    const mute = status.muted ? "  (muted)" : "";
    ctx.fillText(`Reps   L ${status.counts.left}   R ${status.counts.right}${mute}`, 16 * s, 8 * s + line);
    ["left", "right"].forEach((side, k) => {
      const deg = (v) => (v === null ? "--" : Math.round(v));
      ctx.fillStyle = COLORS[side];
      ctx.fillText(`${side[0].toUpperCase()}  knee ${deg(status.knee_deg[side])}  hip ${deg(status.hip_deg[side])}`,
        16 * s, 8 * s + line * (k + 2));
    });
  }

  function drawHold(hold, w, s) {
    const cx = w / 2 + 120 * s, top = 16 * s, barW = Math.min(260 * s, w - cx - 10);
    const color = hold.held_s >= hold.min_s ? COLORS.ok : COLORS.warn;
    ctx.font = `bold ${Math.round(22 * s)}px system-ui, sans-serif`;
    const text = `Hold ${hold.held_s.toFixed(1)} s`;
    const tw = ctx.measureText(text).width;
    ctx.fillStyle = color;
    ctx.fillRect(cx - tw / 2 - 8 * s, top, tw + 16 * s, 32 * s);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, cx - tw / 2, top + 23 * s);
    const y = top + 40 * s, x0 = cx - barW / 2;
    ctx.fillStyle = "rgba(255,255,255,0.7)";
    ctx.fillRect(x0, y, barW, 10 * s);
    ctx.fillStyle = color;
    ctx.fillRect(x0, y, barW * Math.min(hold.held_s / hold.max_s, 1), 10 * s);
    ctx.fillStyle = COLORS.ink;
    ctx.fillRect(x0 + barW * Math.min(hold.min_s / hold.max_s, 1) - 1, y - 3 * s, 2, 16 * s);
    root.dataset.hold = hold.held_s.toFixed(1);  // seconds shown on the hold timer
  }

  function drawMessage(status, w, h, s) {
    let text = "", color = COLORS.ok;
    if (status.setup_message) { text = status.setup_message; color = status.ready ? COLORS.warn : COLORS.bad; }
    else if (status.cue) { text = status.cue; color = status.cue_category === "fault" ? COLORS.warn : COLORS.ok; }
    if (!text) return;
    ctx.font = `${Math.round(19 * s)}px system-ui, sans-serif`;
    const tw = Math.min(ctx.measureText(text).width, w - 20);
    ctx.fillStyle = color;
    ctx.fillRect(w / 2 - tw / 2 - 10 * s, h - 44 * s, tw + 20 * s, 32 * s);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, w / 2 - tw / 2, h - 22 * s, w - 20);
  }

  startBtn.addEventListener("click", start);
  muteBtn.addEventListener("click", toggleMute);
  endBtn.addEventListener("click", endSet);
})();
