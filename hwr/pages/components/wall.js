// The class wall on the Teach page: a grid of drawings, each with the teacher's own
// controls (Hide, Remove the student, Approve, Show again) inside the item.
//
// Stable hooks (tests and monitoring rely on them): each item is an element with the
// class hwr-wall-item, data-student (the nickname) and data-digit (the model's answer),
// and holds its own buttons, whose aria-label names the action ("Hide ...").
// Nicknames are put in as text (textContent, setAttribute), never as HTML.
// The words come from wall.py in data.labels (the page's language): for each action
// [button text, aria-label with {name}], and alt ({name}), someone, verdict ({digit}).
// A button sends {op, id} as a trigger; the item leaves this page at once (the server
// takes it off every wall at their next refresh), except for "remove": the Teach page
// asks first, and the student's drawings leave when the teacher says yes.
// With no actions (the projector view) an item has no button at all.

const WALLS = new WeakMap();
const LEAVES = new Set(["hide", "approve", "unhide"]);

// A template's {key} filled in as plain text (no $-patterns, as replace would have).
function fill(template, key, value) {
  return String(template ?? "").split(`{${key}}`).join(value);
}

function item(w, d, data) {
  const labels = data.labels || {};
  const who = d.nickname || labels.someone || "";
  const figure = document.createElement("figure");
  figure.className = "hwr-wall-item hwr-wall-tile";
  figure.setAttribute("data-student", d.nickname);
  figure.setAttribute("data-digit", d.digit);
  figure.setAttribute("data-drawing", String(d.drawing));
  figure.setAttribute("data-id", String(d.id));
  const img = document.createElement("img");
  img.className = "hwr-pixels";
  img.src = d.image;
  img.alt = fill(labels.alt, "name", who);
  img.width = data.size;
  img.height = data.size;
  const caption = document.createElement("figcaption");
  const answer = document.createElement("b");
  answer.textContent = d.digit;
  caption.append(answer);
  if (d.verdict) {
    const verdict = document.createElement("span");
    verdict.className = d.verdict === "right" ? "hwr-right" : "hwr-wrong";
    verdict.textContent = d.verdict === "right" ? " \u2713"
      : ` ${fill(labels.verdict, "digit", d.verdict)}`;
    caption.append(verdict);
  }
  caption.append(document.createElement("br"));
  const name = document.createElement("span");
  name.className = "hwr-nickname";
  name.textContent = d.nickname || "\u00a0";
  caption.append(name);
  figure.append(img, caption);
  if (data.actions.length) {
    const bar = document.createElement("div");
    bar.className = "hwr-wall-actions";
    for (const op of data.actions) {
      const [text, label] = labels[op] || [op, op];
      const button = document.createElement("button");
      button.type = "button";
      button.className = `hwr-${op}`;
      button.textContent = text;
      button.setAttribute("aria-label", fill(label, "name", who));
      button.addEventListener("click", () => act(w, op, d, figure));
      bar.append(button);
    }
    figure.append(bar);
  }
  return figure;
}

function act(w, op, d, figure) {
  w.setTriggerValue("action", { op, id: d.id, nonce: Date.now() + Math.random() });
  if (!LEAVES.has(op)) return;
  w.gone.add(figure.dataset.id);
  figure.remove();
}

function render(w, data) {
  w.root.className = `hwr-wall${data.large ? " hwr-large" : ""}`;
  w.root.dataset.wall = data.name;  // "wall" or "queue": which list this is
  const present = new Set(data.items.map((d) => String(d.id)));
  for (const id of [...w.gone]) if (!present.has(id)) w.gone.delete(id);
  w.root.replaceChildren(...data.items.filter((d) => !w.gone.has(String(d.id)))
    .map((d) => item(w, d, data)));
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let w = WALLS.get(parentElement);
  if (!w) {
    w = { root: document.createElement("div"), last: null, gone: new Set() };
    parentElement.appendChild(w.root);
    WALLS.set(parentElement, w);
  }
  w.setTriggerValue = setTriggerValue;
  const key = JSON.stringify(data);
  if (key !== w.last) {
    w.last = key;
    render(w, data);
  }
  return () => {
    w.root.remove();
    WALLS.delete(parentElement);
  };
}
