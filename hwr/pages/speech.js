// "Say the answer": a switch, and the browser's speech synthesis saying the answer.
//
// The page gives this component what to say for each answer it shows
// (data: {drawing, text, partial}); it says a pen-up answer (never a partial, live one)
// once the pen has stayed up for SAY_DELAY ms, at most once per drawing (a drawing is
// what the canvas holds until Clear or a save), with a voice installed on the device
// (localService: no voice that speaks through a server). A pen touching down cancels
// what was about to be said: the digit is not finished. Without speech synthesis, or
// without a local voice, the switch is off and disabled, and says why.

const SAY_DELAY = 600;  // ms the pen stays up before the answer is said
const VOICE_WAIT = 2000;  // ms to wait for the device's voices to be listed
const STORE = "hwr-say";
const said = { drawing: null };  // the last drawing said: this module lives as long as the page
let uid = 0;

function synth() {
  return window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null;
}

function localVoice() {
  const s = synth();
  const voices = s ? (s.getVoices() || []).filter((v) => v.localService) : [];
  const lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2);
  return voices.find((v) => v.lang && v.lang.startsWith(lang) && v.default)
    || voices.find((v) => v.lang && v.lang.startsWith(lang))
    || voices.find((v) => v.default) || voices[0] || null;
}

function stored() {
  try { return window.localStorage.getItem(STORE) === "1"; } catch (_) { return false; }
}

function store(on) {
  try { window.localStorage.setItem(STORE, on ? "1" : "0"); } catch (_) { /* private mode */ }
}

function create(parent) {
  const root = document.createElement("div");
  root.className = "hwr-say";
  const id = `hwr-say-${++uid}`;
  const input = document.createElement("input");
  input.type = "checkbox";
  input.id = id;
  input.setAttribute("role", "switch");
  input.setAttribute("aria-describedby", `${id}-note`);
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = "Say the answer";
  const note = document.createElement("span");
  note.id = `${id}-note`;
  note.className = "hwr-say-note";
  root.append(input, label, note);
  parent.appendChild(root);
  const c = { root, input, note, voice: null, pending: null, data: null };

  const check = (final) => {
    if (synth() === null) {
      unavailable(c, "This browser cannot speak.");
      return;
    }
    c.voice = localVoice();
    if (c.voice !== null) {
      input.disabled = false;
      input.checked = stored();
      note.textContent = "";
      root.dataset.state = "ready";
    } else if (final) {
      unavailable(c, "No voice is installed on this device.");
    } else {
      input.disabled = true;
      note.textContent = "Looking for a voice on this device\u2026";
      root.dataset.state = "waiting";
    }
  };
  check(false);
  if (c.voice === null && synth() !== null) {
    const s = synth();
    c.onVoices = () => check(false);
    if (s.addEventListener) s.addEventListener("voiceschanged", c.onVoices);
    c.voiceTimer = setTimeout(() => { if (c.voice === null) check(true); }, VOICE_WAIT);
  }
  input.addEventListener("change", () => {
    store(input.checked);
    if (!input.checked) cancel(c, true);
  });
  c.onPointer = () => cancel(c, false);
  document.addEventListener("pointerdown", c.onPointer, true);
  return c;
}

function unavailable(c, why) {
  c.input.checked = false;
  c.input.disabled = true;
  c.note.textContent = why;
  c.root.dataset.state = "unavailable";
}

function cancel(c, silence) {
  if (c.pending !== null) clearTimeout(c.pending);
  c.pending = null;
  if (silence && synth() !== null) synth().cancel();
}

function say(c, drawing, text) {
  c.pending = null;
  const s = synth();
  if (s === null || c.voice === null || !c.input.checked || said.drawing === drawing) return;
  said.drawing = drawing;
  const utterance = new window.SpeechSynthesisUtterance(text);
  utterance.voice = c.voice;
  utterance.lang = c.voice.lang;
  s.cancel();  // an older answer still being said gives way
  s.speak(utterance);
  c.root.dataset.said = text;
}

function update(c, data) {
  if (data.partial) return;  // a live answer: the digit is still being drawn
  if (data.text === null || data.drawing === null) {
    cancel(c, false);  // nothing to say (an empty canvas)
    return;
  }
  if (said.drawing === data.drawing || !c.input.checked) return;
  cancel(c, false);
  c.pending = setTimeout(() => say(c, data.drawing, data.text), SAY_DELAY);
}

const MOUNTED = new WeakMap();

export default function (component) {
  const { data, parentElement } = component;
  let c = MOUNTED.get(parentElement);
  if (!c) {
    c = create(parentElement);
    MOUNTED.set(parentElement, c);
  }
  update(c, data);
  return () => {
    cancel(c, false);
    clearTimeout(c.voiceTimer);
    document.removeEventListener("pointerdown", c.onPointer, true);
    const s = synth();
    if (s && s.removeEventListener && c.onVoices) s.removeEventListener("voiceschanged", c.onVoices);
    c.root.remove();
    MOUNTED.delete(parentElement);
  };
}
