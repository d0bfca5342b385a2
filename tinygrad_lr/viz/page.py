"""The step-through page: frames as inline SVG, a caption, a legend footer and the keys.

Made for a projector and for a learner's own hands. Every number comes precomputed from
the engine into the page (each frame's caption, the question with ``?`` and the answer):
the script only shows and hides text and compares a typed number with the answer to the
precision shown, it computes no formula.

Keys: → / space / Page Down next, ← / Page Up back, Home / End, ``p`` predict-then-reveal
(→ first shows the next step's formula with ``?``, the next → its number), ``q`` quiz (type
the number, Enter says right or wrong). Printing gives one frame per page, each with the
question of its step written under it (a handout).
"""

from __future__ import annotations

import html
import json
import re

_PLACEHOLDER = re.compile(r"\{(title|frames|count|footer)\}")


def page(frames, svgs: list[str], title: str, footer: str = "") -> str:
    """The HTML of the step-through page (frames, their SVG pictures, a legend footer).

    The template's placeholders are filled in one pass, so user text (a tensor named
    ``{count}``, a title ``{frames}``) is shown as written.

    >>> from tinygrad_lr.viz.steps import Frame
    >>> text = page([Frame(0, "Given: x = 1", "digraph {}", "given")], ["<svg></svg>"], "T")
    >>> 'data-caption="Given: x = 1"' in text and "<title>T</title>" in text
    True
    """
    blocks = []
    for k, (f, svg) in enumerate(zip(frames, svgs)):
        # On paper each picture comes with the question it leaves open: the next step's.
        later = frames[k + 1] if k + 1 < len(frames) else None
        printed = (later.question if later is not None and later.question else f.caption)
        attrs = [f'class="frame" id="step-{f.step}" data-kind="{f.kind}"',
                 f'data-caption="{html.escape(f.caption)}"']
        if f.question:
            attrs.append(f'data-question="{html.escape(f.question)}"')
        if f.answer:
            attrs.append(f'data-answer="{html.escape(f.answer)}"')
        aside = f'<aside class="aside">{f.aside}</aside>' if f.aside else ""
        blocks.append(f'<figure {" ".join(attrs)}>{svg}{aside}'
                      f'<figcaption class="printed">{html.escape(printed)}</figcaption></figure>')
    values = {"title": html.escape(title), "frames": "\n".join(blocks),
              "count": json.dumps(len(frames)), "footer": footer}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _TEMPLATE)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; overflow: hidden; box-sizing: border-box;
         padding: .8vh 1.2vw; font-family: Helvetica, Arial, sans-serif; color: #222;
         background: #fff; }
  header { flex: none; display: flex; align-items: center; gap: .3em 1em;
            white-space: nowrap; overflow: hidden; }
  h1 { font-size: clamp(14px, 2.2vh, 28px); margin: 0; overflow: hidden;
       text-overflow: ellipsis; min-width: 0; flex: 0 1 auto; }
  nav { display: flex; gap: .5em; align-items: center; font-size: clamp(14px, 2.1vh, 26px);
        flex: none; }
  button { font-size: 1em; padding: .1em .6em; cursor: pointer; }
  button[aria-pressed="true"] { background: #1e6b35; color: #fff; }
  #counter { min-width: 5.5em; text-align: center; font-variant-numeric: tabular-nums; }
  #quiz { visibility: hidden; display: flex; gap: .4em; align-items: center; }
  #quiz.open { visibility: visible; }
  #guess { font-size: 1em; width: 6em; }
  #verdict { min-width: 5em; font-weight: bold; }
  #verdict.right { color: #1e6b35; } #verdict.wrong { color: #c0392b; }
  #caption { flex: none; box-sizing: border-box; line-height: 1.3em; overflow: hidden;
             margin: .4vh 0 .6vh; font-size: clamp(24px, 3.5vh, 44px);
             border-left: 5px solid #c0392b; padding-left: .5em; }
  #caption.asking { border-left-color: #1e6b35; }
  #stage { flex: 1 1 auto; min-height: 0; position: relative; }
  .frame { display: none; position: absolute; top: 0; left: 0; right: 0; bottom: 0;
           margin: 0; }
  .frame.current { display: block; }
  .frame > svg { display: block; width: 100%; height: 100%; }
  .aside { position: absolute; top: 0; right: 0; width: 17%; height: 100%;
           background: rgba(255, 255, 255, .85); }
  .aside svg { display: block; width: 100%; height: 100%; }
  .frame:has(.aside) > svg { width: 83%; }
  .printed { display: none; }
  footer { flex: none; font-size: clamp(12px, 1.8vh, 20px); color: #555; margin-top: .3vh;
           white-space: nowrap; overflow: hidden; }
  footer .chip { display: inline-block; border: 1px solid; border-radius: .3em;
                 padding: 0 .4em; margin-right: .5em; }
  @page { size: landscape; margin: 1cm; }
  @media print {
    body { display: block; height: auto; overflow: visible; padding: 0; }
    header, #caption, footer { display: none; }
    #stage { position: static; }
    .frame, .frame.current { display: block; position: relative; height: 88vh;
                             page-break-after: always; break-after: page; }
    .frame > svg { height: 80vh; }
    .printed { display: block; font-size: 18pt; margin-top: 1em; }
  }
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<nav>
  <button id="prev" type="button">&#9664; Prev</button>
  <span id="counter"></span>
  <button id="next" type="button">Next &#9654;</button>
  <button id="predict" type="button" aria-pressed="false" title="p">Predict</button>
  <button id="quizmode" type="button" aria-pressed="false" title="q">Quiz</button>
  <span id="quiz"><input id="guess" type="text" inputmode="decimal"
    aria-label="your number"><span id="verdict"></span></span>
</nav>
</header>
<p id="caption"></p>
<main id="stage">
{frames}
</main>
<footer>{footer}</footer>
<script>
(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll(".frame"));
  var $ = function (id) { return document.getElementById(id); };
  var caption = $("caption"), guess = $("guess"), verdict = $("verdict");
  var current = 0, asking = false, predicting = false, quizzing = false;
  function question(k) { return k < frames.length && frames[k].getAttribute("data-question"); }
  function answer(k) { return frames[k] && frames[k].getAttribute("data-answer"); }
  function render() {
    frames.forEach(function (f, j) { f.classList.toggle("current", j === current); });
    $("counter").textContent = "Step " + (current + (asking ? 1 : 0)) + " / " +
                               (frames.length - 1);
    caption.textContent = asking ? question(current + 1)
                                 : frames[current].getAttribute("data-caption");
    var size = sizes[(asking ? "q" : "c") + (current + (asking ? 1 : 0))];
    caption.style.fontSize = size ? size + "px" : "";
    caption.classList.toggle("asking", asking);
    var scalar = asking && /^[^\\[]*$/.test(answer(current + 1) || "[");
    $("quiz").classList.toggle("open", quizzing && scalar);
    $("prev").disabled = current === 0 && !asking;
    $("next").disabled = current === frames.length - 1;
  }
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    asking = false;
    render();
  }
  function forward() {
    if (!asking && (predicting || quizzing) && question(current + 1)) {
      asking = true; guess.value = ""; verdict.textContent = ""; verdict.className = "";
      render();
      if (quizzing) { guess.focus(); }
    } else { show(current + 1); }
  }
  function back() { if (asking) { asking = false; render(); } else { show(current - 1); } }
  function toNumber(text) {
    return Number(String(text).trim().replace(/\\u2212/g, "-").replace(/\\s+/g, ""));
  }
  // Right when the typed number rounds to the answer as shown: within half a unit of its
  // last shown digit (the engine's number, written to the page's precision).
  function check(text) {
    var shown = answer(current + (asking ? 1 : 0));
    if (!shown || /\\[/.test(shown)) { return null; }
    var typed = toNumber(text), value = toNumber(shown);
    if (!isFinite(typed) || String(text).trim() === "") { return false; }
    var parts = shown.replace(/\\u2212/g, "-").split("e"), mantissa = parts[0];
    var decimals = mantissa.indexOf(".") < 0 ? 0 : mantissa.length - mantissa.indexOf(".") - 1;
    var unit = Math.pow(10, (parts.length > 1 ? Number(parts[1]) : 0) - decimals);
    var right = Math.abs(typed - value) <= unit / 2 + 1e-12 * Math.abs(value);
    verdict.textContent = right ? "right \\u2713" : "wrong \\u2717";
    verdict.className = right ? "right" : "wrong";
    return right;
  }
  function toggle(button, on) { button.setAttribute("aria-pressed", on ? "true" : "false"); }
  function predict(on) { predicting = !!on; toggle($("predict"), predicting); render(); }
  function quiz(on) { quizzing = !!on; toggle($("quizmode"), quizzing); render(); }
  var sizes = {};
  function fitCaption() {
    // A caption a little too long for one line is set a little smaller (never under 24 px,
    // legible from the back); then every frame gets the height of the tallest caption, so
    // the picture never moves.
    caption.style.height = "auto"; caption.style.fontSize = "";
    var base = parseFloat(window.getComputedStyle(caption).fontSize);
    var floor = Math.max(24, 0.8 * base), texts = [];
    frames.forEach(function (f, k) {
      texts.push(["c" + k, f.getAttribute("data-caption")]);
      if (question(k)) { texts.push(["q" + k, question(k)]); }
    });
    sizes = {};
    caption.style.whiteSpace = "nowrap";
    texts.forEach(function (entry) {
      var size = base;
      caption.style.fontSize = size + "px";
      caption.textContent = entry[1];
      while (caption.scrollWidth > caption.clientWidth && size - 1 >= floor) {
        size -= 1;
        caption.style.fontSize = size + "px";
      }
      sizes[entry[0]] = caption.scrollWidth > caption.clientWidth ? base : size;
    });
    caption.style.whiteSpace = "";
    var tallest = 0;
    texts.forEach(function (entry) {
      caption.style.fontSize = sizes[entry[0]] + "px";
      caption.textContent = entry[1];
      tallest = Math.max(tallest, caption.offsetHeight);
    });
    caption.style.height = tallest + "px";
    render();
  }
  $("prev").addEventListener("click", back);
  $("next").addEventListener("click", forward);
  $("predict").addEventListener("click", function () { predict(!predicting); });
  $("quizmode").addEventListener("click", function () { quiz(!quizzing); });
  guess.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { check(guess.value); e.preventDefault(); }
    e.stopPropagation();
  });
  document.addEventListener("keydown", function (e) {
    var moves = {ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1,
                 ArrowLeft: -1, ArrowUp: -1, PageUp: -1};
    if (e.key in moves) { if (moves[e.key] > 0) { forward(); } else { back(); }
                          e.preventDefault(); }
    else if (e.key === "Home") { show(0); }
    else if (e.key === "End") { show(frames.length - 1); }
    else if (e.key === "p") { predict(!predicting); }
    else if (e.key === "q") { quiz(!quizzing); }
  });
  window.addEventListener("resize", fitCaption);
  window.addEventListener("load", fitCaption);  // again once the window has its final size
  window.stepThrough = {show: show, next: forward, back: back, predict: predict, quiz: quiz,
                        check: check, current: function () { return current; },
                        asking: function () { return asking; },
                        caption: function () { return caption.textContent; },
                        count: {count}};
  // page.html#5 opens at step 5 (a link to one step, a screenshot of it).
  var start = parseInt(window.location.hash.slice(1), 10);
  show(isNaN(start) ? 0 : start);
  fitCaption();
})();
</script>
</body>
</html>
"""
