"""The benchmark suite computes what it claims: both sides of every workload agree with each
other and with independent oracles (finite differences, closed forms), and the harness,
report and command line do what their docs say. No timing is asserted here."""

import dataclasses
import doctest
import importlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import memory, peers, report, run, timing  # noqa: E402
from benchmarks.rows import Row  # noqa: E402
from benchmarks.targets import TARGETS  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    chain,
    logistic,
    mlp,
    peak_memory,
    per_op,
    rendering,
)


def central_difference(f, x, h=1e-6):
    """∂f/∂x for every entry of the float64 array x (x is restored afterwards)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        up = f()
        x[i] = saved - h
        down = f()
        x[i] = saved
        grad[i] = (up - down) / (2 * h)
    return grad


# ------------------------------------------------------------------------------- W1, W5
@pytest.mark.parametrize("loss", logistic.LOSSES)
def test_w1_numpy_step_uses_the_true_gradient(loss):
    X, y = logistic.make_data(60, 4)
    model = logistic.NumpyLogisticRegression(X, y, loss, lr=1.0)
    w0, b0 = model.w.copy(), float(model.b)
    model.step()
    # With lr = 1 the update is exactly minus the gradient; compare it with the loss's
    # finite-difference gradient at the starting point.
    w = w0.copy()
    b = np.array([b0])

    def loss_value():
        a = 1 / (1 + np.exp(-(X @ w + b[0])))
        return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))

    np.testing.assert_allclose(w0 - model.w, central_difference(loss_value, w), rtol=1e-6)
    np.testing.assert_allclose(b0 - model.b, central_difference(loss_value, b)[0], rtol=1e-6)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("loss", logistic.LOSSES)
def test_w1_engine_and_numpy_take_the_same_steps(loss, dtype, tol):
    X, y = logistic.make_data(500, 6, dtype)
    engine = logistic.EngineLogisticRegression(X, y, loss)
    reference = logistic.NumpyLogisticRegression(X, y, loss)
    for _ in range(3):
        assert engine.step() == pytest.approx(reference.step(), rel=tol)
    assert engine.w.dtype == dtype and reference.w.dtype == dtype
    np.testing.assert_allclose(engine.w.data, reference.w, rtol=tol, atol=tol)
    np.testing.assert_allclose(engine.b.data, reference.b, rtol=tol, atol=tol)


def test_w1_rejects_an_unknown_loss():
    X, y = logistic.make_data(10, 2)
    with pytest.raises(ValueError, match="loss must be one of"):
        logistic.NumpyLogisticRegression(X, y, "hinge")


def test_w1_floor_is_the_two_matrix_vector_products():
    X, _ = logistic.make_data(50, 3)
    w = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(logistic.matvec_floor(X, w), X.T @ (X @ w))


@pytest.mark.parametrize("loss", logistic.LOSSES)
def test_w5_case_reports_memory_above_the_data_and_equal_losses(loss):
    engine = peak_memory.run_case("engine", 3_000, 5, 2, loss)
    numpy_ = peak_memory.run_case("numpy", 3_000, 5, 2, loss)
    compiled = peak_memory.run_case("compiled", 3_000, 5, 2, loss)
    np.testing.assert_allclose(compiled["losses"], numpy_["losses"], rtol=1e-12)
    assert engine["data_bytes"] == 3_000 * 5 * 8 + 3_000 * 8
    assert engine["extra_peak_bytes"] >= 0 and numpy_["extra_peak_bytes"] >= 0
    assert engine["loss"] == loss
    np.testing.assert_allclose(engine["losses"], numpy_["losses"], rtol=1e-12)
    for name in peers.available():  # a peer takes the same steps from the same weights
        peer = peak_memory.run_case(name, 3_000, 5, 2, loss)
        np.testing.assert_allclose(peer["losses"], numpy_["losses"], rtol=1e-9)


def test_w5_measure_reports_both_losses_with_the_peers():
    rows = peak_memory.measure(dataclasses.replace(run.QUICK, w5_shape=(2_000, 4),
                                                   w5_steps=1, w5_rounds=1))
    assert [r.target_key for r in rows] == ["W5", "W5-compiled", "W5-sigmoid",
                                            "W5-compiled-sigmoid"]
    assert all(r.kind == "bytes" and r.numpy > 0 for r in rows)
    assert all(set(r.others) == set(peers.available()) for r in rows[::2])


def test_w5_rejects_a_side_that_starts_elsewhere():
    cases = {"numpy": [{"losses": [0.69]}], "engine": [{"losses": [0.70]}]}
    with pytest.raises(AssertionError, match="engine started at loss 0.7"):
        peak_memory._check_losses(cases)


# ----------------------------------------------------------------------------------- W2
def test_w2_numpy_backward_matches_finite_differences():
    X, y = mlp.two_moons(32)
    model = mlp.NumpyMLP(X, y, lr=1.0)
    start = [p.copy() for p in model.params]
    model.step()
    params = [p.copy() for p in start]

    def loss_value():
        W1, b1, W2, b2, W3, b3 = params
        a = 1 / (1 + np.exp(-(np.tanh(np.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3)))
        return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))

    for before, after, p in zip(start, model.params, params):
        np.testing.assert_allclose(before - after, central_difference(loss_value, p),
                                   rtol=1e-5, atol=1e-9)


def test_w2_engine_and_numpy_train_identically():
    X, y = mlp.two_moons(64)
    engine, reference = mlp.EngineMLP(X, y), mlp.NumpyMLP(X, y)
    for _ in range(10):
        assert engine.step() == pytest.approx(reference.step(), rel=1e-12)
    for p, q in zip(engine.params, reference.params):
        np.testing.assert_allclose(p.data, q, rtol=1e-10, atol=1e-12)


def test_two_moons_has_balanced_labels_on_two_arcs():
    X, y = mlp.two_moons(200, noise=0.0)
    upper, lower = X[y[:, 0] == 0], X[y[:, 0] == 1]
    assert len(upper) == len(lower) == 100
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)


# ----------------------------------------------------------------------------------- W3
def _skip_missing_peer(impl):
    if impl in peers.PEERS and impl not in peers.available():
        pytest.skip(f"{impl} is not installed (the optional bench-peers extra)")


@pytest.mark.parametrize("impl", sorted(chain.IMPLEMENTATIONS))
def test_w3_affine_chain_matches_the_closed_form(impl):
    _skip_missing_peer(impl)
    result = chain.IMPLEMENTATIONS[impl](200, "affine")
    value, grad = chain.closed_form(200)
    assert result["value"] == pytest.approx(value, rel=1e-12)
    assert result["grad"] == pytest.approx(grad, rel=1e-9)
    assert grad == pytest.approx(math.exp(200 * math.log(0.999)))


@pytest.mark.parametrize("impl", sorted(chain.IMPLEMENTATIONS))
def test_w3_tanh_chain_matches_the_reference(impl):
    _skip_missing_peer(impl)
    result = chain.IMPLEMENTATIONS[impl](200, "tanh")
    value, grad = chain.tanh_reference(200)
    assert result["value"] == pytest.approx(value, rel=1e-12)
    assert result["grad"] == pytest.approx(grad, rel=1e-9)


def test_w3_tanh_reference_gradient_is_the_finite_difference():
    # The reference (and numpy's hand-derived backward) multiply 1 − tanh² along the
    # chain; a float64 central difference of the plain forward must agree.
    def forward(x0, length=40):
        y = x0
        for _ in range(length):
            y = math.tanh(y)
        return y

    h = 1e-6
    difference = (forward(1.0 + h) - forward(1.0 - h)) / (2 * h)
    value, grad = chain.tanh_reference(40)
    assert value == forward(1.0)
    assert grad == pytest.approx(difference, rel=1e-6)
    assert chain.tanh_reference(1)[1] == pytest.approx(1 / math.cosh(1.0) ** 2)


def test_w3_rejects_an_unknown_chain():
    with pytest.raises(ValueError, match="chain must be one of"):
        chain.numpy_chain(5, "sine")


def test_w3_run_case_collects_every_run():
    case = chain.run_case("engine", 200, repeats=3, chain="tanh")
    assert len(case["forward"]) == len(case["backward"]) == 3
    assert case["extra_peak_bytes"] >= 0 and case["length"] == 200
    assert case["chain"] == "tanh"


@pytest.mark.parametrize("name", chain.CHAINS)
def test_w3_check_rejects_a_wrong_gradient(name):
    case = chain.run_case("numpy", 10, repeats=1, chain=name)
    chain._check(case)
    case["grad"] *= 1.01
    with pytest.raises(AssertionError, match=f"{name} chain.*expected"):
        chain._check(case)


def test_w3_measure_reports_both_chains_and_their_growth():
    scale = dataclasses.replace(run.QUICK, w3_plan=((20, 1, 3), (40, 1, 1)),
                                w3_jax_max_length=20)
    rows = chain.measure(scale)
    lengths = [length for length, _, _ in scale.w3_plan]
    timed = [r for r in rows if r.kind == "time"]
    assert [(r.details["chain"], r.details["length"]) for r in timed] == [
        (name, length) for name in chain.CHAINS for length in lengths]
    assert [r.target_key for r in timed] == ["W3"] * len(lengths) + ["W3-tanh"] * len(lengths)
    assert [r.details["nodes"] for r in timed] == [2 * n for n in lengths] + lengths
    growth = [r for r in rows if r.kind == "scalar"]
    assert [r.target_key for r in growth] == ["W3-growth"] * 2
    for row in timed:  # every peer installed here ran in the same rounds
        expected = {name for name in peers.available()
                    if name == "pytorch" or row.details["length"] <= scale.w3_jax_max_length}
        assert set(row.others) == expected


def test_growth_exponent_recovers_power_laws():
    lengths = [1e3, 1e4, 1e5]
    assert chain.growth_exponent(lengths, [2e-3 * n for n in lengths]) == pytest.approx(1.0)
    assert chain.growth_exponent(lengths, [n ** 2 for n in lengths]) == pytest.approx(2.0)


def test_w3_subprocess_command_line():
    case = memory.run_subprocess("benchmarks.workloads.chain", "--impl", "numpy",
                                 "--length", "50")
    assert case["impl"] == "numpy" and case["grad"] == pytest.approx(0.999 ** 50)
    case = memory.run_subprocess("benchmarks.workloads.chain", "--chain", "tanh", "--impl",
                                 "engine", "--length", "50")
    assert case["grad"] == pytest.approx(chain.tanh_reference(50)[1], rel=1e-12)


# ----------------------------------------------------------------------------------- W4
def test_w4_engine_gradients_equal_the_hand_derived_ones():
    engine, reference = per_op.EngineLoop(25), per_op.NumpyLoop(25)
    for side in (engine, reference):
        side.forward()
        side.backward()
    np.testing.assert_allclose(engine.out.data, reference.out)
    np.testing.assert_allclose(reference.out, reference.c0 + 25 * reference.a * reference.b)
    np.testing.assert_allclose(engine.a.grad.data, reference.grad_a)
    np.testing.assert_allclose(engine.b.grad.data, reference.grad_b)
    np.testing.assert_allclose(reference.grad_a, 25 * reference.b)
    np.testing.assert_allclose(engine.c0.grad.data, np.ones(4))


def test_w4_measure_reports_forward_and_backward():
    scale = run.QUICK
    rows = per_op.measure(scale)
    assert [r.metric for r in rows] == ["time per op, forward", "time per op, backward"]
    assert all(r.engine > 0 and r.numpy > 0 and r.rounds == scale.rounds for r in rows)
    assert [r.target_key for r in rows] == ["W4-forward", "W4-backward"]


# ----------------------------------------------------------------------------------- W6
def test_w6_chain_graph_has_the_requested_size():
    import tinygrad_lr as tg

    assert len(tg.topological_order([rendering.chain_graph(7)])) == 7
    with pytest.raises(ValueError, match="at least one node"):
        rendering.chain_graph(0)


def test_w6_measure_times_dot_or_says_why_not():
    rows = rendering.measure(run.QUICK)
    viz, reason = rendering.load_viz()
    if viz is None:
        assert [r.kind for r in rows] == ["skip"] and reason in rows[0].note
    else:
        dot_rows = [r for r in rows if r.metric.startswith("DOT text")]
        assert len(dot_rows) == len(run.QUICK.w6_plan)
        assert all(r.engine > 0 for r in dot_rows)
        assert [r.note for r in dot_rows] == [f"viz.to_dot; {n - 1} edges"
                                              for n, _ in run.QUICK.w6_plan]
        svg_rows = [r for r in rows if r.metric.startswith("SVG")]
        assert svg_rows and all(r.kind == "skip" or r.engine > 0 for r in svg_rows)


# ------------------------------------------------------------------------------ harness
def test_summarize_takes_medians_and_paired_ratios():
    result = timing.summarize([4.0, 2.0, 9.0], [2.0, 2.0, 3.0], per=2.0)
    assert result.engine == 2.0 and result.numpy == 1.0
    assert (result.ratio, result.ratio_low, result.ratio_high) == (2.0, 1.0, 3.0)


def test_timing_rejects_bad_arguments():
    with pytest.raises(ValueError, match="same, non-zero number"):
        timing.summarize([1.0], [])
    with pytest.raises(ValueError, match="rounds"):
        timing.compare(lambda: None, lambda: None, rounds=0)
    with pytest.raises(ValueError, match="number"):
        timing.time_once(lambda: None, number=0)


def test_compare_alternates_and_counts_calls():
    calls = []
    timing.compare(lambda: calls.append("e"), lambda: calls.append("n"), rounds=4,
                   min_seconds=0.0)
    # calibration calls each once, then four rounds starting with the engine, then numpy
    assert calls == ["e", "n", "e", "n", "n", "e", "e", "n", "n", "e"]


def test_memory_readings_and_peak_reset():
    block = np.ones(5_000_000)  # 40 MB, touched
    now = memory.current_rss()
    assert now > block.nbytes
    # The kernel batches RSS counters per CPU, so readings may lag each other a little.
    slack = 4_000_000
    assert memory.peak_rss() >= now - slack
    del block
    if memory.reset_peak():
        assert memory.peak_rss() < memory.current_rss() + slack < now


def test_cpu_snapshots_see_this_process_work():
    before = memory.cpu_snapshot()
    if before is None:
        pytest.skip("no /proc/stat on this system")
    deadline = before[1] + 0.05
    while memory.cpu_snapshot()[1] < deadline:  # burn 50 ms of CPU in this process
        sum(range(10_000))
    after = memory.cpu_snapshot()
    assert after[1] - before[1] >= 0.049  # 10 ms clock ticks, summed as floats
    # the machine saw most of that work (its counters tick in 10 ms steps, read as floats)
    assert after[0] - before[0] >= 0.03 - 1e-6
    assert memory.other_load(before, after, 1.0) >= 0.0


def test_run_subprocess_names_a_failing_command():
    with pytest.raises(RuntimeError, match="benchmarks.workloads.chain"):
        memory.run_subprocess("benchmarks.workloads.chain", "--impl", "numpy", "--length", "0")


# ------------------------------------------------------------------------------- report
def _rows():
    return [
        Row(workload="W2", case="mlp", metric="time per step", engine=2.5e-4, numpy=1e-4,
            ratio=2.5, ratio_low=1.9, ratio_high=2.7, rounds=5, target_key="W2"),
        Row(workload="W5", case="mem", metric="extra peak memory", kind="bytes",
            engine=40e6, numpy=32e6, ratio=1.25, rounds=2, target_key="W5"),
        Row(workload="W6", case="rendering", metric="skipped", kind="skip", note="no viz"),
    ]


def test_row_status_follows_the_target():
    mlp_row, memory_row, skipped = _rows()
    assert (mlp_row.status, memory_row.status, skipped.status) == ("not met", "met", "")
    assert mlp_row.target == TARGETS["W2"].target == 2.0


def test_markdown_table_shows_figures_targets_and_references():
    table = report.markdown_table(_rows())
    lines = table.strip().splitlines()
    assert len(lines) == 2 + 3
    assert "250 µs" in lines[2] and "**2.50x** (1.90–2.70)" in lines[2]
    assert "≤ 2x" in lines[2] and "3.71x (stated)" in lines[2] and "**not met**" in lines[2]
    assert "40.0 MB" in lines[3] and "| met |" in lines[3]
    assert "skipped" in lines[4] and "no viz" in lines[4]


def test_results_round_trip_through_json(tmp_path):
    env = report.environment()
    json_path, md_path = report.write_results(_rows(), tmp_path, "latest", env, "full", 12.0)
    payload = json.loads(json_path.read_text())
    assert payload["rows"][0]["status"] == "not met" and payload["scale"] == "full"
    assert payload["environment"]["numpy"] == np.__version__
    assert report.load_rows(json_path) == _rows()
    text = md_path.read_text()
    assert text.startswith("# Benchmark results (latest)")
    assert "Measurement conditions" in text and "| W2 MLP 2-16-16-1 step | **2.50x**" in text
    assert "not met, by 0.50x (target ≤ 2x)" in text and text.count("| W2 | mlp |") == 1


def test_update_doc_replaces_only_the_marked_section(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(f"intro\n{report.DOC_START}\nold table\n{report.DOC_END}\noutro\n")
    assert report.update_doc(doc, "new table\n")
    text = doc.read_text()
    assert "old table" not in text and "new table" in text
    assert text.startswith("intro\n") and text.endswith(f"{report.DOC_END}\noutro\n")
    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n")
    assert not report.update_doc(plain, "table")
    assert plain.read_text() == "no markers\n"


def test_chart_is_drawn(tmp_path):
    pytest.importorskip("matplotlib")  # the optional `bench` extra
    from benchmarks.chart import chart_groups, chart_points, draw_chart

    rows = _rows() + [
        Row(workload="W3", case=f"L = {n:,} (x nodes)", metric="time per node", engine=5e-6,
            numpy=1e-6, ratio=r, rounds=1, target_key="W3", details={"length": n})
        for n, r in ((1000, 5.0), (10_000, 6.0))
    ]
    rows[0].add_other("jax", timing.summarize([1.3], [1.0]))
    points = chart_points(rows)
    assert [p[1] for p in points] == [2.5, 6.0, 1.25]  # W3 shown by its worst ratio
    groups = {g["key"]: g for g in chart_groups(rows)}
    assert "L = 10,000" in groups["W3"]["label"]
    # measured peers are bars; PyTorch's stated figure stands in where it was not measured
    assert groups["W2"]["bars"]["jax"] == {"ratio": 1.3, "target": None, "met": None}
    assert groups["W2"]["bars"]["pytorch"]["stated"] and "jax" not in groups["W5"]["bars"]
    assert groups["W2"]["bars"]["eager"] == {"ratio": 2.5, "target": 2.0, "met": False}
    path = draw_chart(rows, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -------------------------------------------------------------------------- command line
def test_parse_only():
    assert run.parse_only(None) == list(run.WORKLOADS)
    assert run.parse_only("w3,W1") == ["W1", "W3"]
    with pytest.raises(ValueError, match="W7"):
        run.parse_only("W1,W7")


def test_quick_partial_run_writes_results_but_not_the_docs(tmp_path, capsys):
    doc = tmp_path / "performance.md"
    doc.write_text(f"{report.DOC_START}\nkeep\n{report.DOC_END}\n")
    code = run.main(["--quick", "--only", "W4,W3", "--results", str(tmp_path),
                     "--doc", str(doc), "--chart", str(tmp_path / "chart.png")])
    assert code == 0
    payload = json.loads((tmp_path / "partial.json").read_text())
    assert {row["workload"] for row in payload["rows"]} == {"W3", "W4"}
    assert "keep" in doc.read_text() and not (tmp_path / "chart.png").exists()
    assert "| W4 |" in capsys.readouterr().out


def test_report_only_rewrites_the_report_of_a_full_run(tmp_path):
    env = report.environment()
    json_path, _ = report.write_results(_rows(), tmp_path, "latest", env, "full", 12.0)
    doc = tmp_path / "performance.md"
    doc.write_text(f"intro\n{report.DOC_START}\nold\n{report.DOC_END}\n")
    argv = ["--report-only", str(json_path), "--doc", str(doc), "--chart",
            str(tmp_path / "chart.png")]
    assert run.main(argv) == 0
    text = doc.read_text()
    assert "old" not in text and "| W2 MLP 2-16-16-1 step | **2.50x**" in text
    assert "not met, by 0.50x (target ≤ 2x)" in (tmp_path / "latest.md").read_text()
    quick, _ = report.write_results(_rows(), tmp_path, "partial", env, "quick", 1.0)
    with pytest.raises(SystemExit, match="only a full run is published"):
        run.main(["--report-only", str(quick), "--doc", str(doc)])
    with pytest.raises(SystemExit, match="cannot read benchmark results"):
        run.main(["--report-only", str(tmp_path / "missing.json"), "--doc", str(doc)])


def test_bad_workload_name_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--only", "W9"])
    assert exit_info.value.code == 2
    assert "W9" in capsys.readouterr().err


@pytest.mark.parametrize("module_name", [
    "benchmarks.timing", "benchmarks.memory", "benchmarks.report", "benchmarks.run",
    "benchmarks.workloads.logistic", "benchmarks.workloads.mlp", "benchmarks.workloads.chain",
    "benchmarks.workloads.per_op", "benchmarks.workloads.rendering",
])
def test_docstring_examples(module_name):
    result = doctest.testmod(importlib.import_module(module_name))
    assert result.failed == 0


# ------------------------------------------------------------------------------ profile
def test_profile_reports_per_unit_costs_with_file_and_line():
    from benchmarks import profile_engine

    def work():
        for _ in range(10):
            sorted(range(100))

    text = profile_engine.profile(work, 10, "call", top=5)
    assert "µs per call" in text and "by own time:" in text and "by cumulative time:" in text
    assert "test_benchmarks.py" in text and "(work)" in text


def test_memory_sections_count_bytes_per_node_and_columns():
    from benchmarks import profile_engine

    chain_text = profile_engine.chain_memory(length=300)
    assert "600 nodes" in chain_text and "B/node" in chain_text
    assert "tinygrad_lr/registry.py" in chain_text  # the Tensor objects (made in Op._run)
    step_text = profile_engine.step_memory(2_000, 4)
    assert step_text.count(" columns") == 2 * len(logistic.LOSSES)
    faults_text = profile_engine.page_faults(2_000, 4, steps=2)
    assert faults_text.count(" faults (") == 2 * len(logistic.LOSSES)


def test_profile_command_line_rejects_unknown_sections(capsys):
    from benchmarks import profile_engine

    with pytest.raises(SystemExit):
        profile_engine.main(["--only", "W9"])
    assert "W9" in capsys.readouterr().err


def test_array_rule_prototype_gives_the_engine_gradients():
    from benchmarks import profile_engine

    loop = per_op.EngineLoop(7)
    loop.forward()
    found = profile_engine.array_backward(loop.out, np.ones(4))
    loop.backward()
    for leaf in (loop.a, loop.b, loop.c0):
        np.testing.assert_allclose(found[leaf], leaf.grad.data)
    X, y = mlp.two_moons(32)
    model = mlp.EngineMLP(X, y)
    W1, b1, W2, b2, W3, b3 = model.params
    a = (((model.X @ W1 + b1).tanh() @ W2 + b2).tanh() @ W3 + b3).sigmoid()
    loss = mlp.F.binary_cross_entropy(a, model.y)
    found = profile_engine.array_backward(loss, None)
    loss.backward()
    for p in model.params:
        np.testing.assert_allclose(found[p], p.grad.data, rtol=1e-10, atol=1e-14)


def test_anatomy_and_gc_sections_report_every_layer():
    from benchmarks import profile_engine

    text = profile_engine.op_anatomy(number=200, iterations=50)
    assert text.count(" ns  ") == 8 and "topological_order" in text
    gc_text = profile_engine.gc_effect(lengths=(300,))
    assert "gc on" in gc_text and "gc off" in gc_text and gc_text.count("ns/node") == 4


def test_peers_measured_in_the_same_rounds_replace_the_stated_figures():
    rows = _rows()
    rows[0].add_other("pytorch", timing.summarize([3e-4, 3.2e-4], [1e-4, 1e-4]))
    rows[0].add_other("jax", timing.summarize([1e-4, 1.4e-4], [1e-4, 1e-4]))
    line = report.markdown_table(rows).splitlines()[2]
    assert "3.10x (3.00–3.20)" in line and "1.20x (1.00–1.40)" in line
    assert "(stated)" not in line


def test_interleaved_rounds_start_at_a_different_function_each_round():
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = timing.interleaved_times(fns, rounds=3, min_seconds=0.0)
    assert [len(t) for t in times.values()] == [3, 3, 3]
    timed = calls[-9:]  # after the calibration calls
    assert timed == list("abc") + list("bca") + list("cab")
    with pytest.raises(ValueError, match="reference"):
        timing.compare_many(fns, "numpy")


def test_peers_are_optional(monkeypatch):
    from benchmarks import peers

    monkeypatch.setattr(peers, "module", lambda name: None)
    assert peers.available() == [] and peers.versions() == {}


def test_a_target_that_names_a_peer_is_met_only_below_it():
    row = Row(workload="W3", case="tanh, L = 1,000 (1,000 nodes)", metric="time per node",
              ratio=3.0, rounds=3, target_key="W3-tanh", details={"length": 1000})
    assert row.status == "met"  # PyTorch not measured: the ratio alone decides
    row.add_other("pytorch", timing.summarize([2.5], [1.0]))
    assert row.status == "not met"
    assert row.verdict() == ("not met: 0.50x to spare (target ≤ 3.5x); not below PyTorch "
                             "eager (2.50x)")
    growth = Row(workload="W3", case="tanh", metric="growth", kind="scalar", engine=1.2,
                 target_key="W3-growth")
    assert growth.status == "not met"
    assert growth.verdict() == "not met, by 0.15 (target ≤ 1.05)"


def test_side_by_side_puts_every_implementation_of_a_workload_on_one_line():
    eager = Row(workload="W1", case="float64, with-logits BCE", metric="time per step",
                ratio=0.7, target_key="W1")
    eager.add_other("pytorch", timing.summarize([1.5], [1.0]))
    eager.add_other("jax", timing.summarize([0.6], [1.0]))
    compiled = Row(workload="W1", case="float64, with-logits BCE, compiled",
                   metric="time per step", ratio=0.65)
    sigmoid = Row(workload="W1", case="float64, sigmoid + BCE", metric="time per step",
                  ratio=1.2, target_key="W1-sigmoid")
    chains = [Row(workload="W3", case=f"affine, L = {n:,}", metric="time per node",
                  ratio=r, target_key="W3", details={"length": n})
              for n, r in ((1000, 4.0), (10_000, 5.0))]
    lines = report.side_by_side([eager, compiled, sigmoid, *chains]).splitlines()
    assert lines[2] == ("| W1 float64, with-logits / sigmoid + BCE | **0.70x** / **1.20x** | "
                        "0.65x / – | 1.50x / – | 0.60x / – | ≤ 0.8x / ≤ 1x | met / not met |")
    assert lines[3] == ("| W3 affine chain, L = 1e3 / 1e4 | **4.00x** / **5.00x** | – | – | "
                        "– | ≤ 3.5x; below PyTorch eager | not met |")
    verdicts = report.target_verdicts([eager, sigmoid]).splitlines()
    assert "met, 0.10x to spare (target ≤ 0.8x)" in verdicts[2]
    assert "not met, by 0.20x (target ≤ 1x)" in verdicts[3]
