// A round's timer on the students' Draw page: counts down in the browser from the seconds
// the server said were left (no clock of the browser's is trusted), shows "Time's up" at
// zero. The server ends the round and enters the drawing; this only shows the time.
// Its words come from the page, in its language (data.labels: {seconds_left: "{seconds} s
// left", time_up: "Time's up"}); the English here is a fallback.
const TIMERS = new WeakMap();
const WORDS = { seconds_left: "{seconds} s left", time_up: "Time's up" };

function word(labels, key) {
  return (labels && typeof labels[key] === "string" && labels[key]) || WORDS[key];
}

export default function (component) {
  const { data, parentElement } = component;
  let t = TIMERS.get(parentElement);
  if (!t) {
    const root = document.createElement("div");
    root.className = "hwr-countdown";
    parentElement.appendChild(root);
    t = { root, timer: null, key: null };
    TIMERS.set(parentElement, t);
  }
  t.labels = data.labels || null;  // read at each tick: a new language shows at once
  const key = `${data.round}:${Math.round(data.seconds_left)}`;
  if (key !== t.key) {  // a poll that says about the same time left changes nothing
    t.key = key;
    const end = performance.now() + data.seconds_left * 1000;
    clearInterval(t.timer);
    const tick = () => {
      const left = Math.max(0, Math.ceil((end - performance.now()) / 1000));
      t.root.textContent = left > 0
        ? word(t.labels, "seconds_left").split("{seconds}").join(String(left))
        : word(t.labels, "time_up");
      t.root.dataset.secondsLeft = String(left);
      t.root.classList.toggle("hwr-time-up", left === 0);
      if (left === 0) clearInterval(t.timer);
    };
    t.tick = tick;
    tick();
    t.timer = setInterval(tick, 250);
  } else if (t.tick) {
    t.tick();  // the same time left: only the words may be new
  }
  return () => {
    clearInterval(t.timer);
    t.root.remove();
    TIMERS.delete(parentElement);
  };
}
