// The Draw page's canvas: pointer strokes (mouse, finger, pen), Undo and Clear.
//
// Why not a general drawing component: in a classroom every stroke must arrive.
// - The whole drawing (all strokes, each with its brush) is sent when a stroke ends, so
//   a message that overtakes or replaces an earlier one never loses a stroke.
// - Clear and Undo act here, at once, and send the new state: no script run has to
//   remount the canvas before the next stroke can be drawn.
// - The page never replaces the drawing under the pen: data from Python only changes
//   the brush and the size, restores a drawing when the canvas is first shown, and
//   clears a drawing only if it is the one Python asked to clear and no stroke is
//   under way.
// - Pointer events with touch-action none: a finger or a pen draws from its first
//   contact anywhere on the canvas; no toolbar lies over the drawing area.
// - Live answers (``data.live``): while a stroke is drawn, the drawing so far (the
//   strokes before it and the stroke under way) is sent every LIVE_MS, marked
//   ``partial``, only when the stroke has new points. The stroke's end sends the whole
//   drawing, unmarked, as without live answers: that message is the answer of record
//   and no partial one is sent after it. A device that asks for reduced motion gets
//   answers at pen-up only. A page hidden mid-stroke (a phone going to sleep) ends the
//   stroke where it was, keeping its ink.
// - Accessible: the canvas is an image with a name and a description of what to do;
//   Undo and Clear are buttons, with a visible focus (canvas.css).
// - The canvas stays where it is on screen when the student clears a drawing: Clear (or
//   Undo of the last stroke) removes the answer and what hangs on it, and on a page
//   scrolled down the shorter page used to pull the canvas down by
//   the height it lost (the scroll position clamped), ~0.1 s later, when the page's
//   run came back: a pen put down at once where the canvas had been missed it and the
//   first stroke was lost. The page keeps its height from such a clear until it has
//   grown back (the next answer), so nothing moves under the pen.
// - A canvas is created once per place on the page: Streamlit's component calls this
//   module again for each new ``data`` and may call the cleanup of a call it has
//   superseded while the canvas is still on the page; that cleanup leaves the canvas
//   (and its strokes) alone, and only a canvas taken off the page is torn down.
// - Kept in the tab (sessionStorage, per canvas): a quiet drawing has not gone to
//   Streamlit, so Python cannot restore it when the student comes back from another
//   page; the canvas does, and sends it to the page then (one run).
// - Words: the page sends them in its language (``data.labels``, ``data.label``,
//   ``data.help``); the English ones here are only a fallback.
// - The answer channel (``data.channel``, hwr/server/answer_channel.py): a pen-up's
//   drawing, and with live answers the partial ones, go over a WebSocket of hwr's own,
//   and the answer panel (the digit, the ten bars, the 28x28 input; for "Several
//   digits", ``data.channel.number``, the number, its parts and each part's bars) is
//   drawn here from the reply, in the answer area, with no script run; a live answer
//   marks its region busy, as Python's does. Partial drawings never go to Streamlit
//   while the channel is open. The finished drawing still goes to Streamlit once the pen has been up
//   REPORT_MS (one run per finished drawing, not per stroke): "Is it right?", the wall
//   and the round need the page's state; while a round runs (``report_now``) at once,
//   since the student's next tap may be the round's Done. Python's answer, when that
//   run brings it, takes the panel's place. A reply that does not come within
//   CHANNEL_WAIT_MS, one that is not an answer (warming up, nothing to read) and a
//   channel that cannot connect send the drawing to Streamlit at once, as without the
//   channel; Clear and Undo do too.
// - Quiet (``data.channel.quiet``: no class runs, nothing on the page hangs on a finished
//   drawing): a drawing costs the server no script run at all. The pen-up is answered
//   over the channel and never reported; the student's Clear and Undo stay here too
//   (the panel says what to do, or answers what is left); "Is it right?" is a row of
//   this canvas, under it, whose tap sends the drawing with the digit (``confirm``) to
//   Streamlit, which files it. Python's answer to an older drawing stays hidden while
//   the canvas is ahead of it. "Say the answer" on (speech.js's switch) ends quiet:
//   the page says what it answers. A page that stops being quiet (a class starts,
//   "Inside the network" opens) gets the drawing on the canvas at once.
// - Class events (hwr/server/class_events.py): the canvas tells the channel what the
//   page shows of the class (``data.channel.shows``) and the page whether the channel
//   is open (``channel``: "open", "down"): an open channel tells of the class's changes
//   (``{"event": "class"}``, passed on as ``event``), so the page stops polling for them.
// - The feature maps (``data.channel.maps``: "Inside the network" open in presentation
//   mode): each reply carries them, and they follow the pen in the page's own images
//   (``showMaps`` below).

const CANVASES = new WeakMap();
const LIVE_MS = 120;  // between two partial drawings while a stroke is drawn
const SENT_KEPT = 400;  // the last messages' times, kept on the element for tests
const REDUCED_MOTION = "(prefers-reduced-motion: reduce)";
const CHANNEL_WAIT_MS = 1500;  // a reply later than this: Streamlit answers instead
const REPORT_MS = 600;  // the pen up this long: the drawing goes to Streamlit
const RECONNECT_MS = 5000;  // a channel that closed is tried again after this
const PANEL_CHECK_MS = 300;  // after a page run: is the panel still in the answer area?
const MAPS = ".st-key-hwr-inside-maps";  // the page's feature maps (inside_network.py)
const SPEECH_STORE = "hwr-say";  // speech.js keeps its switch here: "1" says the answers
const WORDS = {  // English, when the page sends no words of its own
  undo: "Undo",
  clear: "Clear",
  drawing_area: "Drawing area",
  reduced_motion: "Live answers are off: this device asks for reduced motion. The answer comes when you lift the pen.",
};
let uid = 0;

function button(className, icon, text) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  const mark = document.createElement("span");
  mark.setAttribute("aria-hidden", "true");  // a screen reader says the word only
  mark.textContent = icon;
  b.hwrWord = document.createTextNode(` ${text}`);
  b.append(mark, b.hwrWord);
  return b;
}

function word(s, key) {
  return (s.labels && s.labels[key]) || WORDS[key];
}

function createCanvas(parent) {
  const root = document.createElement("div");
  root.className = "hwr-canvas-root";
  const canvas = document.createElement("canvas");
  canvas.className = "hwr-canvas";
  const id = `hwr-canvas-${++uid}`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-describedby", `${id}-help`);
  const help = document.createElement("p");
  help.id = `${id}-help`;
  help.className = "hwr-visually-hidden";
  const note = document.createElement("p");  // says when live answers are turned down
  note.className = "hwr-canvas-note";
  note.hidden = true;
  const bar = document.createElement("div");
  bar.className = "hwr-canvas-bar";
  const undo = button("hwr-undo", "\u21B6", WORDS.undo);
  const clear = button("hwr-clear", "\u2715", WORDS.clear);
  bar.append(undo, clear);
  root.append(canvas, help, bar, note);
  parent.appendChild(root);

  const s = {
    root, canvas, ctx: canvas.getContext("2d"), undo, clear, help, note,
    width: 0, height: 0, brush: 18, drawingId: 0, strokes: [], current: null,
    pointerId: null, lastCleared: null, setStateValue: () => {}, held: null,
    live: false, timer: null, sentPoints: 0, seq: 0, sent: [], labels: null,
    channel: null, ws: null, wsDownAt: -Infinity, asked: null, panel: null,
    row: null, shown: null, shownSeq: 0, unreported: false, events: 0, pageToldOpen: false,
    showsSent: null,
  };
  // What the canvas sent, to Streamlit or over the channel: [seq, partial,
  // performance.now() of its last point], for tests and benchmarks.
  root.hwrSent = s.sent;
  // The channel's token, for tests that open connections of their own beside the
  // canvas's (the page's own script holds it anyway).
  root.hwrChannelToken = () => (s.channel === null ? null : s.channel.token);

  const toCanvas = (e) => {
    const rect = canvas.getBoundingClientRect();
    return [
      Math.min(Math.max((e.clientX - rect.left) * s.width / rect.width, 0), s.width),
      Math.min(Math.max((e.clientY - rect.top) * s.height / rect.height, 0), s.height),
    ];
  };
  const payload = (strokes) => ({
    id: s.drawingId, width: s.width, height: s.height, seq: ++s.seq,
    strokes: strokes.map((st) => [st.brush, ...st.points.map((v) => Math.round(v * 10) / 10)]),
  });
  // The drawing to Streamlit, at once: Clear, Undo, the page's clear, and a pen-up the
  // channel does not answer.
  const send = () => {
    forgetAsk(s);
    retirePanel(s);  // the page answers this one
    report(s, payload(s.strokes));
    showCount(s);
  };
  // A pen-up: asked over the channel when it is open, else sent to Streamlit.
  const penUp = () => {
    const p = payload(s.strokes);
    if (!ask(s, p)) {
      forgetAsk(s);
      report(s, p);
    }
    showCount(s);
  };
  // The drawing so far, while a stroke is drawn: only if the stroke grew since the last.
  // Over the channel when it is open (no script run), else to Streamlit.
  const sendPartial = () => {
    if (s.current === null || !liveOn(s) || s.current.points.length === s.sentPoints) return;
    s.sentPoints = s.current.points.length;
    const p = { ...payload([...s.strokes, s.current]), partial: true };
    if (channelOpen(s)) s.ws.send(JSON.stringify({ drawing: p, ...askedFor(s) }));
    else s.setStateValue("drawing", p);
    remember(s, s.seq, true, s.current.at);
  };
  const stopLive = () => {
    if (s.timer !== null) clearInterval(s.timer);
    s.timer = null;
  };
  const end = () => {
    stopLive();
    s.strokes.push(s.current);
    s.current = null;
    s.pointerId = null;
    penUp();
  };
  const finish = (e) => {
    if (s.current === null || e.pointerId !== s.pointerId) return;
    end();
  };

  canvas.addEventListener("pointerdown", (e) => {
    if (s.current !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    s.pointerId = e.pointerId;
    const [x, y] = toCanvas(e);
    holdReport(s);  // this stroke's pen-up reports the whole drawing
    s.current = { brush: s.brush, points: [x, y], at: performance.now() };
    s.sentPoints = 0;
    paintDot(s, x, y, s.brush);
    if (liveOn(s)) s.timer = setInterval(sendPartial, LIVE_MS);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (s.current === null || e.pointerId !== s.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const [x, y] = toCanvas(ev);
      const p = s.current.points;
      const [px, py] = [p[p.length - 2], p[p.length - 1]];
      if (Math.hypot(x - px, y - py) < 1) continue;
      p.push(x, y);
      s.current.at = performance.now();
      paintSegment(s, px, py, x, y, s.current.brush);
    }
  });
  // A cancelled pointer (the browser took the gesture, the pen left) still keeps its ink.
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    canvas.addEventListener(type, finish);
  }
  // A phone that sleeps (or a tab put away) mid-stroke: the stroke ends where it was.
  s.onHidden = () => {
    if (document.visibilityState === "hidden") reportAsked(s);  // before the page sleeps
    if (document.visibilityState === "hidden" && s.current !== null) {
      const pointer = s.pointerId;
      end();
      try { canvas.releasePointerCapture(pointer); } catch (_) { /* already gone */ }
    }
  };
  document.addEventListener("visibilitychange", s.onHidden);
  s.motion = window.matchMedia ? window.matchMedia(REDUCED_MOTION) : null;
  s.onMotion = () => showLive(s);
  if (s.motion && s.motion.addEventListener) s.motion.addEventListener("change", s.onMotion);
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  // Keyboard: Ctrl+Z (Cmd+Z) undoes while the focus is on the canvas's buttons.
  bar.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") {
      e.preventDefault();
      undo.click();
    }
  });
  // The student's Undo and Clear: quiet, they stay here (what is left is asked over the
  // channel; an empty canvas gets the panel's invitation); else the page is told.
  const changed = () => {
    if (!quiet(s) || !channelOpen(s)) {
      send();
    } else if (s.strokes.length > 0) {
      penUp();
    } else {
      forgetAsk(s);
      showInvitation(s);
      showCount(s);
    }
  };
  undo.addEventListener("click", () => {
    if (s.current !== null || s.strokes.length === 0) return;
    if (s.strokes.length === 1) holdHeight(s);
    s.strokes.pop();
    redraw(s);
    changed();
  });
  clear.addEventListener("click", () => {
    if (s.current !== null) return;
    holdHeight(s);
    s.strokes = [];
    s.drawingId += 1;
    redraw(s);
    changed();
  });
  s.send = send;
  s.payload = payload;
  return s;
}

// What was sent (to Streamlit or over the channel): [seq, partial, performance.now() of
// its last point], for tests.
function remember(s, seq, partial, at) {
  s.sent.push([seq, partial, at]);
  if (s.sent.length > SENT_KEPT) s.sent.splice(0, s.sent.length - SENT_KEPT);
}

// The whole drawing to Streamlit (a script run follows).
function report(s, p) {
  s.unreported = false;
  s.setStateValue("drawing", p);
  remember(s, p.seq, false, performance.now());
}

// Quiet: no script run per drawing (see the top). "Say the answer" on: the page says it.
function quiet(s) {
  if (s.channel === null || !s.channel.quiet) return false;
  try { return window.localStorage.getItem(SPEECH_STORE) !== "1"; } catch (_) { return true; }
}

function channelOpen(s) {
  return s.ws !== null && s.ws.readyState === WebSocket.OPEN;
}

// --- the answer channel ------------------------------------------------------------
// One WebSocket per canvas, opened when the page hands the canvas a channel (a path, a
// token of its session, the words of the answer panel); closed with the canvas.

function openChannel(s) {
  if (s.channel === null || s.ws !== null || performance.now() - s.wsDownAt < RECONNECT_MS) return;
  let ws;
  try {
    ws = new WebSocket(new URL(s.channel.path, window.location.href).href.replace(/^http/, "ws"));
  } catch (_) {
    s.wsDownAt = performance.now();
    return;
  }
  s.ws = ws;
  s.root.dataset.channel = "connecting";
  ws.onopen = () => {
    ws.send(JSON.stringify({ token: s.channel.token }));
    s.root.dataset.channel = "open";
  };
  ws.onmessage = (e) => {
    try { onMessage(s, JSON.parse(e.data)); } catch (_) { channelDown(s, ws); }
  };
  ws.onclose = () => channelDown(s, ws);
  ws.onerror = () => channelDown(s, ws);
}

function onMessage(s, message) {
  if (message.status === "ready") {  // the token taken: class events come this way
    s.showsSent = null;
    sendShows(s);
    tellPage(s, true);
  } else if (message.event === "class") {
    s.setStateValue("event", ++s.events);  // the page reads the class afresh
  } else {
    onReply(s, message);
  }
}

// What the page shows of the class (the class, its round), for the channel to compare.
function sendShows(s) {
  const shows = s.channel === null || s.channel.shows === undefined ? null
    : JSON.stringify(s.channel.shows);
  if (shows === null || shows === s.showsSent || !channelOpen(s)) return;
  s.ws.send(`{"shows": ${shows}}`);
  s.showsSent = shows;
}

// The page polls for the class's changes unless the channel is open (one run each way).
function tellPage(s, open) {
  if (s.pageToldOpen === open) return;
  s.pageToldOpen = open;
  s.setStateValue("channel", open ? "open" : "down");
}

// The channel closed or failed: what it was asked goes to Streamlit, and it is tried
// again at the next pen-up after RECONNECT_MS.
function channelDown(s, ws) {
  if (s.ws !== ws) return;
  s.ws = null;
  s.wsDownAt = performance.now();
  s.root.dataset.channel = "down";
  try { ws.close(); } catch (_) { /* already closed */ }
  tellPage(s, false);
  if (s.asked !== null && !s.asked.answered) reportAsked(s);
  // Not at the next pen-up only: an idle page would hear of the class no more.
  setTimeout(() => { if (!s.gone && s.ws === null && s.channel !== null) openChannel(s); },
             RECONNECT_MS);
}

// The page's channel for this run: none (the Streamlit path), or its path, token and
// words. A new token (the server restarted, the page's
// session is new) is tried at once, even if the last connection failed.
function useChannel(s, channel) {
  const token = s.channel === null ? null : s.channel.token;
  const words = s.channel === null ? null : JSON.stringify(s.channel.words);
  s.channel = channel;
  if (channel === null) {
    closeChannel(s);
    tellPage(s, false);
  } else {
    if (channel.token !== token) s.wsDownAt = -Infinity;
    openChannel(s);
    sendShows(s);
    if (JSON.stringify(channel.words) !== words) repaint(s);  // the page's language changed
  }
  // No longer quiet (a class started, the network's inside opened, live answers on):
  // the page gets the drawing the canvas is ahead with.
  if (s.unreported && !quiet(s) && s.current === null && s.asked === null) s.send();
  // A page run that drew the answer area anew (presentation mode, the layout) took the
  // panel with it: Python's answer to an older drawing would show. The page gets the
  // drawing then (one run), once the run's elements are on the page.
  clearTimeout(s.panelCheck);
  s.panelCheck = setTimeout(() => {
    if (s.unreported && s.current === null && s.asked === null && !panelInPlace(s)) s.send();
    if (s.current === null && s.asked === null) restoreMaps(s);
  }, PANEL_CHECK_MS);
}

function panelInPlace(s) {
  return s.panel !== null && s.panel.isConnected && s.panel.parentElement === answerArea(s);
}

function closeChannel(s) {
  reportAsked(s);
  retirePanel(s);
  const ws = s.ws;
  s.ws = null;
  if (ws !== null) {
    ws.onclose = ws.onerror = ws.onmessage = null;
    ws.close();
  }
  delete s.root.dataset.channel;
}

// A pen-up's drawing over the channel; false when it is not open.
function ask(s, p) {
  openChannel(s);  // one that closed: again, for the next pen-up
  if (!channelOpen(s)) return false;
  forgetAsk(s);
  s.ws.send(JSON.stringify({ drawing: p, ...askedFor(s) }));
  remember(s, p.seq, false, performance.now());
  s.asked = { payload: p, answered: false, wait: setTimeout(() => reportAsked(s), CHANNEL_WAIT_MS),
              report: null };
  return true;
}

function onReply(s, reply) {
  if (reply.partial) {  // a live answer: shown while the stroke is drawn, if newer
    if (reply.status === "answer" && s.current !== null && reply.seq > s.shownSeq) {
      showPanel(s, reply);
      showMaps(s, reply);
    }
    return;
  }
  const asked = s.asked;
  if (asked === null || reply.seq !== asked.payload.seq) return;  // an older drawing's
  clearTimeout(asked.wait);
  if (reply.status !== "answer" || !showPanel(s, reply)) {
    reportAsked(s);  // warming up, nothing to read: Streamlit's page says so
    return;
  }
  asked.answered = true;
  showMaps(s, reply);
  if (quiet(s)) {  // nothing to report: "Is it right?" is the canvas's own row
    forgetAsk(s);
    s.unreported = true;
    showConfirm(s, reply);
  } else if (s.current === null) {  // in a round at once: Done may come next
    asked.report = setTimeout(() => reportAsked(s), s.channel.report_now ? 0 : REPORT_MS);
  }
}

// The asked drawing to Streamlit, now.
function reportAsked(s) {
  const asked = s.asked;
  if (asked === null) return;
  forgetAsk(s);
  report(s, asked.payload);
}

// A new stroke begins: the drawing so far is reported with it, at its pen-up.
function holdReport(s) {
  if (s.asked !== null && s.asked.report !== null) {
    clearTimeout(s.asked.report);
    s.asked.report = null;
  }
}

function forgetAsk(s) {
  if (s.asked === null) return;
  clearTimeout(s.asked.wait);
  clearTimeout(s.asked.report);
  s.asked = null;
}

// --- the answer panel, from the channel's reply --------------------------------------
// Drawn in the page's answer area, before Python's own answer, which it hides (CSS:
// data-hwr-channel on the area) until Python's answer to the same drawing (or a later
// one) arrives: the panel then goes. Its own class names, so that only Python's answer
// is ``.hwr-answer``, ``.hwr-live``: tests and scripts find one of each.

function answerArea(s) {
  const row = s.root.closest(".st-key-hwr-draw-row");
  return row === null ? null
    : row.querySelector(".st-key-hwr-answer-area, .st-key-hwr-number-answer");
}

function showPanel(s, reply) {
  if (!placePanel(s, panelHtml(s, reply), reply.seq)) return false;
  s.shown = { reply };
  s.shownSeq = reply.seq;
  retireConfirm(s);  // "Is it right?" of the drawing before: the quiet pen-up shows its own
  return true;
}

function placePanel(s, html, seq) {
  const area = answerArea(s);
  if (area === null) return false;
  if (s.panel === null) {
    s.panel = document.createElement("div");
    s.panel.className = "hwr-channel-answer";
    s.panelWatch = new MutationObserver(() => retireIfAnswered(s));
  }
  s.panel.dataset.seq = String(seq);
  s.panel.innerHTML = html;
  if (s.panel.parentElement !== area) {
    s.panelWatch.disconnect();
    area.prepend(s.panel);
    s.panelWatch.observe(area, { childList: true, subtree: true, attributes: true,
                                 attributeFilter: ["data-seq"] });
  }
  area.dataset.hwrChannel = "ahead";
  return true;
}

// Python's answer to the panel's drawing (or a later one) is on the page: it is the
// answer of record, and the panel goes.
function retireIfAnswered(s) {
  if (s.panel === null || s.panel.parentElement === null) return;
  const live = s.panel.parentElement.querySelector(".hwr-live[data-seq]");
  if (live !== null && Number(live.dataset.seq) >= Number(s.panel.dataset.seq)) retirePanel(s);
}

function retirePanel(s) {
  s.shown = null;
  retireConfirm(s);
  if (s.panel === null) return;
  s.panelWatch.disconnect();
  const area = s.panel.parentElement;
  if (area !== null) delete area.dataset.hwrChannel;
  s.panel.remove();
}

// The panel (and "Is it right?") drawn again in the page's new words.
function repaint(s) {
  const shown = s.shown;
  if (shown === null || s.panel === null || s.panel.parentElement === null) return;
  if (shown.reply === null) {
    showInvitation(s);
  } else {
    showPanel(s, shown.reply);
    if (s.row !== null && s.row.parentElement !== null) showConfirm(s, shown.reply);
  }
}

// Quiet, a cleared canvas: the panel says what to do, as the page does, ahead of
// Python's answer to the drawing that was there.
function showInvitation(s) {
  retireConfirm(s);
  const w = s.channel.words;
  if (!placePanel(s, `<div class="hwr-ch-live" aria-live="polite" aria-atomic="true">`
      + `<div class="hwr-note">${escapeHtml(w.invitation || "")}</div></div>`, s.seq)) return;
  s.shown = { reply: null };
  s.unreported = true;
}

// --- the feature maps, following the pen ----------------------------------------------
// "Inside the network" open in presentation mode (``data.channel.maps``): the channel's
// reply carries the drawing's feature maps, pictured as Python pictures them, one per
// layer; they go into the page's own images (``.st-key-hwr-inside-maps``,
// hwr/pages/draw/inside_network.py) while the stroke is drawn. The page's run after the
// pen-up brings its own pictures of the finished drawing: an image whose address that
// run left as it was (the same picture as before the stroke) gets its own back.

// What a drawing is asked for: its feature maps; read as several digits.
function askedFor(s) {
  return { maps: s.channel !== null && Boolean(s.channel.maps),
           number: s.channel !== null && Boolean(s.channel.number) };
}

function mapImages(s) {
  return Array.from(s.root.ownerDocument.querySelectorAll(`${MAPS} img`));
}

function showMaps(s, reply) {
  const images = mapImages(s);
  if (!Array.isArray(reply.maps) || images.length !== reply.maps.length) return;
  images.forEach((img, i) => {
    if (!img.src.startsWith("data:")) img.dataset.hwrPage = img.src;
    img.src = reply.maps[i];
  });
  s.root.dataset.mapsSeq = String(reply.seq);  // for tests: the maps of which drawing
}

function restoreMaps(s) {
  for (const img of mapImages(s)) {
    if (img.src.startsWith("data:") && img.dataset.hwrPage) img.src = img.dataset.hwrPage;
  }
}

// --- "Is it right?", quiet: the canvas's own row, under it ---------------------------
// Streamlit's row (``sharing.confirm_sample``) needs a run with the drawing; this one
// sends the drawing only when a digit is tapped: ``{..., confirm: digit}``, which the
// page files before its run (``page.file_tapped``). It is part of the canvas (the
// page's place for Streamlit's row is not on the page until a run fills it);
// Streamlit's row of an older drawing is hidden while the panel is ahead (style.css).

function showConfirm(s, reply) {
  const w = s.channel.words;
  if (!w.confirm) return;
  if (s.row === null) {
    s.row = document.createElement("div");
    s.row.className = "hwr-ch-confirm";
    s.row.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-digit]");
      if (b !== null) tap(s, Number(b.dataset.digit));
    });
  }
  const answer = reply.not_a_digit ? null : reply.digit;
  const label = boldHtml(answer === null ? w.confirm_no_digit : w.confirm);
  const id = `${s.help.id}-confirm`;
  const buttons = Array.from({ length: 10 }, (_, d) => `<button type="button" data-digit="${d}"`
    + `${d === answer ? ' class="hwr-ch-ticked"' : ""}>`
    + `${d === answer ? '<span aria-hidden="true">\u2713 </span>' : ""}${d}</button>`).join("");
  s.row.innerHTML = `<p id="${id}">${label}</p><div class="hwr-ch-digits" role="group" `
    + `aria-labelledby="${id}">${buttons}</div>`;
  if (s.row.parentElement !== s.root) s.root.append(s.row);
}

function retireConfirm(s) {
  if (s.row !== null) s.row.remove();
}

// A digit tapped: the drawing goes to Streamlit with it (one run: it is filed, the
// canvas cleared by the page, as after a tap on Streamlit's row).
function tap(s, digit) {
  if (s.current !== null || s.strokes.length === 0) return;
  for (const b of s.row.querySelectorAll("button")) b.disabled = true;
  forgetAsk(s);
  report(s, { ...s.payload(s.strokes), confirm: digit });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function percentText(s, fraction, decimals) {
  try {
    return new Intl.NumberFormat(s.channel.lang, {
      style: "percent", minimumFractionDigits: decimals, maximumFractionDigits: decimals,
    }).format(fraction);
  } catch (_) {
    return `${(fraction * 100).toFixed(decimals)}%`;
  }
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));
}

// The same panel as the Draw page's answer (hwr/pages/draw/answer.py): the big digit
// and its caption in a polite live region, the ten bars, the 28x28 input.
function panelHtml(s, reply) {
  if (reply.number) return numberHtml(s, reply);
  const w = s.channel.words;
  const guess = { digit: reply.digit, confidence: percentText(s, reply.probabilities[reply.digit], 0) };
  const input = `<div class="hwr-ch-model-input">`
    + `${figureHtml(reply.model_input, escapeHtml(w.model_input), 168)}</div>`;
  const region = (inner) => regionHtml(reply, inner);
  if (reply.not_a_digit) {
    return region(`<div class="hwr-ch-digit hwr-ch-not-a-digit">${escapeHtml(w.not_a_digit)}</div>`
      + `<div class="hwr-ch-caption">${escapeHtml(fill(w.best_guess, guess))}</div>`) + input;
  }
  let caption = fill(w.confidence, { confidence: percentText(s, reply.probabilities[reply.digit], 1) });
  if (reply.unsure) {
    caption += " · " + fill(w.unsure, {
      digit: reply.runner_up, probability: percentText(s, reply.runner_up_probability, 0) });
  }
  return region(`<div class="hwr-ch-digit">${escapeHtml(reply.digit)}</div>`
    + `<div class="hwr-ch-caption">${escapeHtml(caption)}</div>`)
    + barsHtml(s, reply) + input;
}

// Several digits, as show_number: the digits read left to right and the caption in the
// live region, each part's 28x28 input with its digit, and each part's probabilities
// behind a disclosure (Python's expander).
function numberHtml(s, reply) {
  const w = s.channel.words;
  const count = reply.digits.length;
  const form = new Intl.PluralRules(s.channel.lang).select(count) === "one"
    ? w.count_one : w.count_other;
  let caption = fill(form, { count });
  if (reply.digits.some((d) => d.not_a_digit)) caption += " · " + w.no_digit_mark;
  const parts = reply.digits.map((d) => figureHtml(d.model_input, escapeHtml(d.not_a_digit
    ? fill(w.part_no_digit, { digit: d.digit })
    : `${d.digit} (${percentText(s, d.probabilities[d.digit], 0)})`), 84)).join("");
  const each = reply.digits.map((d, i) => `<p>${boldHtml(fill(
    d.not_a_digit ? w.digit_n_no_digit : w.digit_n, { n: i + 1, digit: d.digit }))}</p>`
    + (d.unsure ? `<p class="hwr-ch-unsure">${boldHtml(fill(w.unsure_note, {
      digit: d.runner_up, probability: percentText(s, d.runner_up_probability, 0) }))}</p>` : "")
    + barsHtml(s, d)).join("");
  return regionHtml(reply, `<div class="hwr-ch-digit hwr-ch-number">${escapeHtml(reply.text)}</div>`
    + `<div class="hwr-ch-caption">${escapeHtml(caption)}</div>`)
    + `<div class="hwr-ch-parts">${parts}</div>`
    + `<details class="hwr-ch-each"><summary>${escapeHtml(w.each_digit)}</summary>${each}</details>`;
}

// A live answer marks its region busy: said once the pen is up (as Python's).
function regionHtml(reply, inner) {
  return `<div class="hwr-ch-live" aria-live="polite" aria-atomic="true" `
    + `aria-busy="${reply.partial ? "true" : "false"}"${reply.partial ? " data-partial" : ""} `
    + `data-seq="${Number(reply.seq)}">${inner}</div>`;
}

// The ten bars of one digit's probabilities, as answer.py's probabilities_html.
function barsHtml(s, answer) {
  const bars = answer.probabilities.map((p, d) => `<div${d === answer.digit ? ' class="hwr-top"' : ""}>`
    + `<small>${escapeHtml(percentText(s, p, 0))}</small><svg class="hwr-bar" aria-hidden="true">`
    + `<rect y="${(100 - p * 100).toFixed(1)}%" width="100%" height="${(p * 100).toFixed(1)}%"/></svg>`
    + `<b>${d}</b></div>`).join("");
  return `<div class="hwr-ch-bars">${bars}</div>`;
}

// An enlarged 28x28 picture over its caption (``caption``: HTML, escaped), as
// markup.py's figure_html.
function figureHtml(src, caption, size) {
  return `<figure class="hwr-thumb"><img class="hwr-pixels" src="${escapeHtml(src)}" `
    + `alt="${caption}" width="${size}" height="${size}"><figcaption>${caption}</figcaption></figure>`;
}

// A sentence with **bold** parts (the catalogs' markdown), as HTML, as Streamlit's.
function boldHtml(text) {
  return escapeHtml(text).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

function paintDot(s, x, y, brush) {
  const c = s.ctx;
  c.fillStyle = s.color;
  c.beginPath();
  c.arc(x, y, brush / 2, 0, 2 * Math.PI);
  c.fill();
}

function paintSegment(s, x0, y0, x1, y1, brush) {
  const c = s.ctx;
  c.strokeStyle = s.color;
  c.lineWidth = brush;
  c.lineCap = "round";
  c.lineJoin = "round";
  c.beginPath();
  c.moveTo(x0, y0);
  c.lineTo(x1, y1);
  c.stroke();
}

function redraw(s) {
  const c = s.ctx;
  c.setTransform(s.scale, 0, 0, s.scale, 0, 0);
  c.fillStyle = s.background;
  c.fillRect(0, 0, s.width, s.height);
  const all = s.current ? [...s.strokes, s.current] : s.strokes;
  for (const st of all) {
    const p = st.points;
    paintDot(s, p[0], p[1], st.brush);
    for (let i = 2; i < p.length; i += 2) paintSegment(s, p[i - 2], p[i - 1], p[i], p[i + 1], st.brush);
  }
}

// Live answers: asked for by the page, and not turned down by the device's settings.
function liveOn(s) {
  return s.live && !(s.motion && s.motion.matches);
}

function showLive(s) {
  const reduced = s.live && s.motion !== null && s.motion.matches;
  s.note.hidden = !reduced;
  s.note.textContent = reduced ? word(s, "reduced_motion") : "";
  s.root.dataset.live = liveOn(s) ? "on" : (reduced ? "reduced" : "off");
}

function restore(s, drawing) {
  s.drawingId = drawing.id || 0;
  s.strokes = (drawing.strokes || []).map((st) => ({ brush: st[0], points: st.slice(1) }));
}

// The drawing on the canvas, kept in the tab under the canvas's key (see the top).
function keep(s) {
  if (!s.key) return;
  const strokes = s.strokes.map((st) => [st.brush, ...st.points.map((v) => Math.round(v * 10) / 10)]);
  try {
    window.sessionStorage.setItem(`hwr-canvas:${s.key}`, JSON.stringify({ id: s.drawingId, strokes }));
  } catch (_) { /* private mode, full: Python's copy is all there is */ }
}

function kept(key) {
  try {
    const text = key ? window.sessionStorage.getItem(`hwr-canvas:${key}`) : null;
    const drawing = text === null ? null : JSON.parse(text);
    return drawing !== null && Array.isArray(drawing.strokes) ? drawing : null;
  } catch (_) {
    return null;
  }
}

// Python keeps the points as float32 of the numbers sent (rounded to 0.1).
function sameStrokes(a, b) {
  return a.length === b.length && a.every((st, i) => st.length === b[i].length
    && st.every((v, j) => Math.abs(v - b[i][j]) < 0.06));
}

// What the canvas starts with: the tab's own copy where it differs from Python's (a
// quiet drawing: the page is sent it), else Python's.
function start(s, data) {
  s.key = data.key || null;
  const mine = kept(s.key);
  const python = data.initial || null;
  const same = mine !== null && python !== null && mine.id === python.id
    && sameStrokes(mine.strokes, python.strokes || []);
  if (mine !== null && (mine.strokes.length > 0 || python !== null) && !same) {
    restore(s, mine);
    return true;
  }
  if (python !== null) restore(s, python);
  return false;
}

function update(s, data) {
  s.brush = data.brush;
  s.live = Boolean(data.live);
  s.labels = data.labels || null;
  s.undo.hwrWord.textContent = ` ${word(s, "undo")}`;
  s.clear.hwrWord.textContent = ` ${word(s, "clear")}`;
  s.canvas.setAttribute("aria-label", data.label || word(s, "drawing_area"));
  s.help.textContent = data.help || "";
  showLive(s);
  useChannel(s, data.channel || null);
  s.color = data.color;
  s.background = data.background;
  s.root.style.maxWidth = `${data.max_css_width}px`;
  const scale = window.devicePixelRatio || 1;
  if (s.width !== data.width || s.height !== data.height || s.scale !== scale) {
    s.width = data.width;
    s.height = data.height;
    s.scale = scale;
    s.canvas.width = Math.round(data.width * scale);
    s.canvas.height = Math.round(data.height * scale);
    s.canvas.style.aspectRatio = `${data.width} / ${data.height}`;
    redraw(s);
  }
  // Python clears a drawing it has filed (Is it right? -> Save): only that drawing, and
  // never while a stroke is being drawn.
  if (data.clear_id !== null && data.clear_id !== s.lastCleared && data.clear_id === s.drawingId
      && s.current === null) {
    s.lastCleared = data.clear_id;
    s.strokes = [];
    s.drawingId += 1;
    redraw(s);
    s.send();
  }
  showCount(s);
}

// The page's height, held from a clear until the page has grown back to it: the page
// scrolls in its nearest scrolling ancestor; the child of that ancestor holding the
// canvas gets a min-height, released once its own content is as tall again (or the
// canvas leaves the page). A page not scrolled down needs no hold: it moves nothing.
function scrollerOf(el) {
  for (let e = el.parentElement; e; e = e.parentElement) {
    const overflow = getComputedStyle(e).overflowY;
    if ((overflow === "auto" || overflow === "scroll") && e.scrollHeight > e.clientHeight) return e;
  }
  return null;
}

function naturalHeight(content) {
  const last = content.lastElementChild;
  if (!last) return 0;
  const cs = getComputedStyle(content);
  return last.getBoundingClientRect().bottom - content.getBoundingClientRect().top
    + parseFloat(cs.paddingBottom || "0") + parseFloat(cs.borderBottomWidth || "0");
}

function holdHeight(s) {
  const scroller = scrollerOf(s.root);
  if (scroller === null || scroller.scrollTop === 0 || typeof ResizeObserver === "undefined") return;
  let content = s.root;
  while (content.parentElement !== scroller) content = content.parentElement;
  const height = s.held ? Math.max(s.held.height, naturalHeight(content)) : content.offsetHeight;
  releaseHeight(s);
  const observer = new ResizeObserver(() => {  // it reports at once too: the page as it is
    if (!s.held) return;
    if (naturalHeight(content) < s.held.height - 1) s.held.shrunk = true;
    else if (s.held.shrunk) releaseHeight(s);
  });
  s.held = { content, height, observer, before: content.style.minHeight, shrunk: false };
  content.style.minHeight = `${height}px`;
  for (const child of content.children) observer.observe(child);
}

function releaseHeight(s) {
  if (!s.held) return;
  s.held.observer.disconnect();
  s.held.content.style.minHeight = s.held.before;
  s.held = null;
}

// The stroke count and drawing id, on the element: for tests and for monitoring.
function showCount(s) {
  keep(s);
  s.undo.disabled = s.strokes.length === 0;
  s.clear.disabled = s.strokes.length === 0;
  s.root.dataset.strokes = String(s.strokes.length);
  s.root.dataset.drawing = String(s.drawingId);
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let s = CANVASES.get(parentElement);
  if (!s) {
    s = createCanvas(parentElement);
    CANVASES.set(parentElement, s);
    s.restored = start(s, data);
    s.lastCleared = data.clear_id;
  }
  s.setStateValue = setStateValue;
  update(s, data);
  if (s.restored) {  // the tab's copy, newer than the page's: the page gets it
    s.restored = false;
    s.send();
  }
  // Streamlit calls the cleanup when the canvas leaves the page, and also (at once) that
  // of a call it superseded while it waited for this module: the canvas stays then.
  return () => {
    if (parentElement.isConnected && CANVASES.get(parentElement) === s) return;
    if (s.timer !== null) clearInterval(s.timer);
    clearTimeout(s.panelCheck);
    s.gone = true;
    closeChannel(s);
    releaseHeight(s);
    document.removeEventListener("visibilitychange", s.onHidden);
    if (s.motion && s.motion.removeEventListener) s.motion.removeEventListener("change", s.onMotion);
    s.root.remove();
    CANVASES.delete(parentElement);
  };
}
