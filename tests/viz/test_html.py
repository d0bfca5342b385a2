"""The step-through page in a real browser: headless Chromium (skipped where it is absent)."""

import json
import re
import shutil
import subprocess

import pytest

import tinygrad_lr as tg
from tinygrad_lr import viz

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Appended to a copy of the page: drives the real buttons and keys, records what it sees.
DRIVER = """
<script>
(function () {
  function state() {
    var shown = Array.prototype.filter.call(document.querySelectorAll(".frame"),
      function (f) { return getComputedStyle(f).display !== "none"; });
    return {shown: shown.map(function (f) { return f.id; }),
            counter: document.getElementById("counter").textContent,
            caption: document.getElementById("caption").textContent,
            prevDisabled: document.getElementById("prev").disabled,
            nextDisabled: document.getElementById("next").disabled};
  }
  function key(k) { document.dispatchEvent(new KeyboardEvent("keydown", {key: k})); }
  var seen = [state()];
  document.getElementById("next").click(); seen.push(state());
  document.getElementById("next").click(); seen.push(state());
  key("ArrowRight"); seen.push(state());
  key("ArrowLeft"); seen.push(state());
  document.getElementById("prev").click(); seen.push(state());
  key("End"); seen.push(state());
  key("ArrowRight"); seen.push(state());
  key("Home"); seen.push(state());
  var out = document.createElement("pre");
  out.id = "driver-result";
  out.textContent = JSON.stringify({seen: seen,
    svgs: document.querySelectorAll(".frame svg").length});
  document.body.appendChild(out);
})();
</script>
"""


def run_chromium(tmp_path, page, *extra):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
               *extra, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_step_through_page_in_headless_chromium(tmp_path):
    if not viz.renderers():
        pytest.skip("no SVG renderer (Graphviz or tinygrad-lr[svg]) installed")
    loss = viz.lecture_example(backward=False)["L"]
    page = viz.step_through_html(loss, tmp_path / "steps.html", title="Lecture graph")
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html.split("<svg", 1)[0]  # self-contained: nothing to fetch
    driven = tmp_path / "driven.html"
    driven.write_text(html.replace("</body>", DRIVER + "</body>"), encoding="utf-8")
    result = run_chromium(tmp_path, driven, "--dump-dom")
    found = re.search(r'<pre id="driver-result">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    report = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert report["svgs"] == 10  # the forward frame + one per node backward visits
    shown = [s["shown"] for s in report["seen"]]
    assert shown == [["step-0"], ["step-1"], ["step-2"], ["step-3"], ["step-2"], ["step-1"],
                     ["step-9"], ["step-9"], ["step-0"]]
    first, last = report["seen"][0], report["seen"][6]
    assert first["prevDisabled"] and not first["nextDisabled"]
    assert last["nextDisabled"] and last["counter"] == "Step 9 / 9"
    assert report["seen"][1]["caption"].startswith("Step 1 of 9: backward reaches L")
    assert "b gets" in report["seen"][3]["caption"]

    shot = tmp_path / "steps.png"
    run_chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=900,900")
    assert shot.exists() and shot.read_bytes().startswith(b"\x89PNG")


def test_page_refuses_other_suffixes(tmp_path):
    with pytest.raises(ValueError, match=r"\.html"):
        viz.step_through_html(viz.lecture_example(backward=False)["L"], tmp_path / "s.svg")


def test_frames_without_retained_grads_are_refused():
    t = viz.lecture_example(backward=False)
    t["L"].backward()
    with pytest.raises(ValueError, match="retain_grads"):
        viz.backward_frames(t["L"])


def test_frames_show_grads_known_so_far():
    frames = viz.backward_frames(viz.lecture_example(backward=False)["L"])
    assert [f.step for f in frames] == list(range(10))
    assert "grad " not in frames[0].dot
    # Each frame knows exactly one more gradient than the one before.
    counts = [f.dot.count(">grad ") for f in frames]
    assert counts == list(range(10))
    assert "penwidth=3.5" in frames[3].dot and "penwidth=3.5" not in frames[0].dot
    with pytest.raises(TypeError, match="step"):
        viz.backward_frames(viz.lecture_example(backward=False)["L"], step=2)


def test_frames_refuse_huge_graphs_with_a_clear_error():
    x = tg.Tensor(0.3, requires_grad=True, name="x")
    y = x
    for _ in range(40):
        y = y.tanh()
    with pytest.raises(ValueError, match="max_frames=20"):
        viz.backward_frames(y, max_frames=20)
