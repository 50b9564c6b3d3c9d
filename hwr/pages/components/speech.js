// "Say the answer": a switch, and the browser's speech synthesis saying the answer.
//
// The page gives this component what to say for each answer it shows
// (data: {drawing, text, partial, lang, labels}); it says a pen-up answer (never a partial, live one)
// once the pen has stayed up for SAY_DELAY ms, at most once per drawing (a drawing is
// what the canvas holds until Clear or a save), with a voice installed on the device
// (localService: no voice that speaks through a server). A pen touching down cancels
// what was about to be said: the digit is not finished; so is an answer that arrives
// while the pen is down (a slow server answering the stroke before). Without speech
// synthesis, or without a local voice, the switch is off and disabled, and says why.
// The answer is said in the page's language (``data.lang``, "de"): with an installed
// voice of that language if there is one, else with the device's default voice. The
// switch's words come from the page (``data.labels``); the English here is a fallback.

const SAY_DELAY = 600;  // ms the pen stays up before the answer is said
const VOICE_WAIT = 2000;  // ms to wait for the device's voices to be listed
const STORE = "hwr-say";
const PEN_UP = ["pointerup", "pointercancel"];
const said = { drawing: null };  // the last drawing said: this module lives as long as the page
let uid = 0;
const WORDS = {  // English, when the page sends no words of its own
  say: "Say the answer",
  cannot_speak: "This browser cannot speak.",
  no_voice: "No voice is installed on this device.",
  looking: "Looking for a voice on this device\u2026",
};

function synth() {
  return window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null;
}

function localVoices() {
  const s = synth();
  return s ? (s.getVoices() || []).filter((v) => v.localService) : [];
}

// The page's language code ("de"), lower case.
function pageLang(c) {
  const lang = (c.lang || document.documentElement.lang || navigator.language || "en");
  return String(lang).toLowerCase().split(/[-_]/)[0];
}

// A voice of that language: its lang is the code, or starts with it and "-" or "_"
// ("de", "de-DE", "de_AT"), in any case.
function speaks(voice, lang) {
  const l = String(voice.lang || "").toLowerCase();
  return l === lang || l.startsWith(`${lang}-`) || l.startsWith(`${lang}_`);
}

// An installed voice of the page's language (the device's default one first), else
// the device's default voice, else any installed voice; null: none is installed.
function localVoice(c) {
  const voices = localVoices();
  const lang = pageLang(c);
  return voices.find((v) => speaks(v, lang) && v.default)
    || voices.find((v) => speaks(v, lang))
    || voices.find((v) => v.default) || voices[0] || null;
}

function word(c, key) {
  return (c.labels && c.labels[key]) || WORDS[key];
}

function stored() {
  try { return window.localStorage.getItem(STORE) === "1"; } catch (_) { return false; }
}

function store(on) {
  try { window.localStorage.setItem(STORE, on ? "1" : "0"); } catch (_) { /* private mode */ }
}

function create(parent, data) {
  const root = document.createElement("div");
  root.className = "hwr-say";
  const id = `hwr-say-${++uid}`;
  const input = document.createElement("input");
  input.type = "checkbox";
  input.id = id;
  input.setAttribute("role", "switch");
  input.setAttribute("aria-describedby", `${id}-note`);
  // The box inside its label: one target, as tall as the label (44 px on a phone).
  const label = document.createElement("label");
  label.htmlFor = id;
  const text = document.createElement("span");
  label.append(input, text);
  const note = document.createElement("span");
  note.id = `${id}-note`;
  note.className = "hwr-say-note";
  const c = { root, input, text, note, voice: null, pending: null, data: null, penDown: false,
              lang: data.lang || null, labels: data.labels || null, noteKey: null };
  text.textContent = word(c, "say");
  root.append(label, note);
  parent.appendChild(root);

  const check = (final) => {
    if (synth() === null) {
      unavailable(c, "cannot_speak");
      return;
    }
    c.voice = localVoice(c);
    if (c.voice !== null) {
      input.disabled = false;
      input.checked = stored();
      showNote(c, null);
      root.dataset.state = "ready";
    } else if (final) {
      unavailable(c, "no_voice");
    } else {
      input.disabled = true;
      showNote(c, "looking");
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
  c.onPointer = () => { c.penDown = true; cancel(c, false); };
  c.onPointerUp = () => { c.penDown = false; };
  document.addEventListener("pointerdown", c.onPointer, true);
  for (const type of PEN_UP) document.addEventListener(type, c.onPointerUp, true);
  return c;
}

// The note beside the switch: a key of WORDS (null: none).
function showNote(c, key) {
  c.noteKey = key;
  c.note.textContent = key === null ? "" : word(c, key);
}

function unavailable(c, why) {
  c.input.checked = false;
  c.input.disabled = true;
  showNote(c, why);
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
  c.voice = localVoice(c) || c.voice;  // the page's language may have changed
  const utterance = new window.SpeechSynthesisUtterance(text);
  utterance.voice = c.voice;
  utterance.lang = pageLang(c);
  s.cancel();  // an older answer still being said gives way
  s.speak(utterance);
  c.root.dataset.said = text;
}

function update(c, data) {
  c.lang = data.lang || null;
  c.labels = data.labels || null;
  c.text.textContent = word(c, "say");
  if (c.noteKey !== null) c.note.textContent = word(c, c.noteKey);
  if (data.partial) return;  // a live answer: the digit is still being drawn
  if (data.text === null || data.drawing === null) {
    cancel(c, false);  // nothing to say (an empty canvas)
    return;
  }
  if (said.drawing === data.drawing || !c.input.checked || c.penDown) return;
  cancel(c, false);
  c.pending = setTimeout(() => say(c, data.drawing, data.text), SAY_DELAY);
}

const MOUNTED = new WeakMap();

export default function (component) {
  const { data, parentElement } = component;
  let c = MOUNTED.get(parentElement);
  if (!c) {
    c = create(parentElement, data);
    MOUNTED.set(parentElement, c);
  }
  update(c, data);
  return () => {
    cancel(c, false);
    clearTimeout(c.voiceTimer);
    document.removeEventListener("pointerdown", c.onPointer, true);
    for (const type of PEN_UP) document.removeEventListener(type, c.onPointerUp, true);
    const s = synth();
    if (s && s.removeEventListener && c.onVoices) s.removeEventListener("voiceschanged", c.onVoices);
    c.root.remove();
    MOUNTED.delete(parentElement);
  };
}
