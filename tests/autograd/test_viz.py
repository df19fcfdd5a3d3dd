"""Tests for autograd/viz.py: the DOT text of make_dot, parsed back into
nodes and edges, and rendering through Graphviz when it is installed."""
import collections
import re
import shutil

import pytest

import autograd
from autograd import viz

_NODE = re.compile(r'^\s*"([^"]+)" \[(.*)\]$')
_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)"(?: \[(.*)\])?$')
_LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')
_FILL = re.compile(r"fillcolor=(\w+)")
_ESCAPE = re.compile(r"\\(.)")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def parse(source):
    """``(nodes, edges, undirected)``: nodes map id -> (label, fillcolor);
    edges and undirected (``dir=none``) are lists of ``(tail, head)``."""
    lines = source.strip().splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    nodes, edges, undirected = {}, [], []
    for line in lines[1:-1]:
        m = _EDGE.match(line)
        if m:
            tail, head, attrs = m.groups()
            (undirected if attrs and "dir=none" in attrs else edges).append((tail, head))
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node"):
            key, attrs = m.groups()
            assert key not in nodes, f"node {key} declared twice"
            label = _ESCAPE.sub(lambda e: "\n" if e.group(1) == "n" else e.group(1),
                                _LABEL.search(attrs).group(1))
            fill = _FILL.search(attrs)
            nodes[key] = (label, fill.group(1) if fill else None)
            continue
        assert line.strip().startswith(("graph [", "node [")), line
    for tail, head in edges + undirected:
        assert tail in nodes and head in nodes, (tail, head)
    return nodes, edges, undirected


def label_edges(nodes, edges):
    return collections.Counter((nodes[t][0], nodes[h][0]) for t, h in edges)


def labels(nodes, color=None):
    return collections.Counter(lab for lab, fill in nodes.values() if color is None or fill == color)


def successors(edges):
    out = collections.defaultdict(list)
    for tail, head in edges:
        out[tail].append(head)
    return out


def find(nodes, label, color):
    found = [k for k, (lab, fill) in nodes.items() if lab == label and fill == color]
    assert len(found) == 1, (label, color, found)
    return found[0]


def torch_reference(output, params):
    """The node labels and forward-direction edges torchviz draws for a
    PyTorch graph (outputs, backward nodes, AccumulateGrad and leaves)."""
    names = {id(v): k for k, v in params.items()}

    def tensor_label(t):
        shape = "(" + ", ".join(str(s) for s in t.shape) + ")"
        return f"{names[id(t)]}\n{shape}" if id(t) in names else shape

    node_labels = collections.Counter([tensor_label(output)])
    edges = collections.Counter([(type(output.grad_fn).__name__, tensor_label(output))])
    seen, stack = {output.grad_fn}, [output.grad_fn]
    while stack:
        fn = stack.pop()
        name = type(fn).__name__
        node_labels[name] += 1
        if hasattr(fn, "variable"):
            node_labels[tensor_label(fn.variable)] += 1
            edges[(tensor_label(fn.variable), name)] += 1
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges[(type(nxt).__name__, name)] += 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return node_labels, edges


def tutorial_graph(lib):
    a = lib.tensor([2., 3.], requires_grad=True)
    b = lib.tensor([6., 4.], requires_grad=True)
    return 3 * a**3 - b**2, {"a": a, "b": b}


# ----------------------------------------------------------------------
# Structure
# ----------------------------------------------------------------------

def test_tutorial_graph_nodes_and_edges():
    Q, params = tutorial_graph(autograd)
    nodes, edges, undirected = parse(viz.make_dot(Q, params=params).source)
    assert labels(nodes) == collections.Counter({
        "(2)": 1, "SubBackward0": 1, "MulBackward0": 1, "PowBackward0": 2,
        "AccumulateGrad": 2, "a\n(2)": 1, "b\n(2)": 1,
    })
    assert labels(nodes, "darkolivegreen1") == collections.Counter({"(2)": 1})
    assert labels(nodes, "lightblue") == collections.Counter({"a\n(2)": 1, "b\n(2)": 1})
    assert len(edges) == 8 and undirected == []
    # Follow each leaf forward: one path each, ending at the output.
    nxt = successors(edges)
    for leaf, path in (("a\n(2)", ["AccumulateGrad", "PowBackward0", "MulBackward0",
                                   "SubBackward0", "(2)"]),
                       ("b\n(2)", ["AccumulateGrad", "PowBackward0", "SubBackward0", "(2)"])):
        key = find(nodes, leaf, "lightblue")
        walked = []
        while nxt[key]:
            assert len(nxt[key]) == 1
            key = nxt[key][0]
            walked.append(nodes[key][0])
        assert walked == path
    assert nodes[next(k for k, v in nodes.items() if v[1] == "darkolivegreen1")] == \
        ("(2)", "darkolivegreen1")


def test_tutorial_graph_matches_torch():
    torch = pytest.importorskip("torch")
    Q, params = tutorial_graph(autograd)
    nodes, edges, _ = parse(viz.make_dot(Q, params=params).source)
    tQ, tparams = tutorial_graph(torch)
    want_labels, want_edges = torch_reference(tQ, tparams)
    assert labels(nodes) == want_labels
    assert label_edges(nodes, edges) == want_edges


def mlp(lib):
    gen = lib.Generator().manual_seed(0) if lib is not autograd else None
    kw = {"generator": gen} if gen is not None else {}
    x = lib.randn(4, 3, **kw)
    w1 = lib.randn(3, 5, **kw).requires_grad_()
    b1 = lib.zeros(5, requires_grad=True)
    w2 = lib.randn(5, 2, **kw).requires_grad_()
    b2 = lib.zeros(2, requires_grad=True)
    h = lib.relu(lib.matmul(x, w1) + b1)
    out = (lib.matmul(h, w2) + b2).sum()
    return out, {"fc1.weight": w1, "fc1.bias": b1, "fc2.weight": w2, "fc2.bias": b2}


def test_mlp_graph_with_param_names():
    out, params = mlp(autograd)
    nodes, edges, _ = parse(viz.make_dot(out, params=params).source)
    assert labels(nodes, "lightblue") == collections.Counter({
        "fc1.weight\n(3, 5)": 1, "fc1.bias\n(5)": 1, "fc2.weight\n(5, 2)": 1, "fc2.bias\n(2)": 1,
    })
    assert labels(nodes, "darkolivegreen1") == collections.Counter({"()": 1})
    assert label_edges(nodes, edges) == collections.Counter({
        ("fc1.weight\n(3, 5)", "AccumulateGrad"): 1, ("fc1.bias\n(5)", "AccumulateGrad"): 1,
        ("fc2.weight\n(5, 2)", "AccumulateGrad"): 1, ("fc2.bias\n(2)", "AccumulateGrad"): 1,
        ("AccumulateGrad", "MmBackward0"): 2, ("AccumulateGrad", "AddBackward0"): 2,
        ("MmBackward0", "AddBackward0"): 2, ("AddBackward0", "ReluBackward0"): 1,
        ("ReluBackward0", "MmBackward0"): 1, ("AddBackward0", "SumBackward0"): 1,
        ("SumBackward0", "()"): 1,
    })
    # The input x does not require grad: it gets no node.
    assert len(nodes) == 1 + 1 + 2 + 2 + 1 + 4 + 4


def test_mlp_graph_matches_torch():
    torch = pytest.importorskip("torch")
    out, params = mlp(autograd)
    nodes, edges, _ = parse(viz.make_dot(out, params=params).source)
    want_labels, want_edges = torch_reference(*mlp(torch))
    assert labels(nodes) == want_labels
    assert label_edges(nodes, edges) == want_edges


@pytest.mark.skipif(not hasattr(autograd.nn, "Linear"), reason="autograd.nn.Linear not there yet")
def test_nn_linear_named_parameters():
    model = autograd.nn.Linear(3, 2)
    out = model(autograd.randn(4, 3)).sum()
    params = dict(model.named_parameters())
    nodes, edges, _ = parse(viz.make_dot(out, params=params).source)
    assert labels(nodes, "lightblue") == collections.Counter({"weight\n(2, 3)": 1, "bias\n(2)": 1})
    # PyTorch draws a TBackward0 between weight and AddmmBackward0; this
    # linear multiplies by the transpose inside one node.
    assert label_edges(nodes, edges) == collections.Counter({
        ("weight\n(2, 3)", "AccumulateGrad"): 1, ("bias\n(2)", "AccumulateGrad"): 1,
        ("AccumulateGrad", "AddmmBackward0"): 2, ("AddmmBackward0", "SumBackward0"): 1,
        ("SumBackward0", "()"): 1,
    })


def test_shared_leaf_gets_one_node():
    x = autograd.tensor([1., 2., 3.], requires_grad=True)
    y = x * x
    nodes, edges, _ = parse(viz.make_dot(y, params={"x": x}).source)
    assert labels(nodes) == collections.Counter(
        {"(3)": 1, "MulBackward0": 1, "AccumulateGrad": 1, "x\n(3)": 1})
    # Both operands are x: two edges from its accumulator, as in PyTorch.
    assert label_edges(nodes, edges) == collections.Counter({
        ("x\n(3)", "AccumulateGrad"): 1, ("AccumulateGrad", "MulBackward0"): 2,
        ("MulBackward0", "(3)"): 1,
    })


def test_long_chain_is_walked_iteratively():
    x = autograd.tensor([1., 2.], requires_grad=True)
    y = x
    n = 100_000
    for _ in range(n):
        y = -y
    nodes, edges, _ = parse(viz.make_dot(y).source)
    assert len(nodes) == n + 3
    assert len(edges) == n + 2
    assert labels(nodes)["NegBackward0"] == n
    # Every node has exactly one successor except the output: a single chain.
    nxt = successors(edges)
    out = find(nodes, "(2)", "darkolivegreen1")
    assert out not in nxt and all(len(v) == 1 for v in nxt.values()) and len(nxt) == n + 2


def test_multiple_outputs_share_the_graph():
    a = autograd.tensor([1., 2.], requires_grad=True)
    u = a * 2
    v = (u + 1).sum()
    for outs in ((u, v), [u, v], (u, v, u)):
        nodes, edges, _ = parse(viz.make_dot(outs, params={"a": a}).source)
        assert labels(nodes, "darkolivegreen1") == collections.Counter({"(2)": 1, "()": 1})
        assert labels(nodes) == collections.Counter({
            "(2)": 1, "()": 1, "MulBackward0": 1, "AddBackward0": 1, "SumBackward0": 1,
            "AccumulateGrad": 1, "a\n(2)": 1,
        })
        # u's node feeds both u itself and the AddBackward0 on the way to v.
        mul = find(nodes, "MulBackward0", None)
        assert sorted(nodes[h][0] for h in successors(edges)[mul]) == ["(2)", "AddBackward0"]


def test_tensor_without_grad_fn():
    for t, want in ((autograd.tensor([1., 2.]), "(2)"),
                    (autograd.tensor(3.), "()"),
                    (autograd.zeros(2, 3, requires_grad=True), "(2, 3)")):
        nodes, edges, undirected = parse(viz.make_dot(t, show_saved=True, show_attrs=True).source)
        assert nodes == {str(id(t)): (want, "darkolivegreen1")}
        assert edges == [] and undirected == []


def test_ids_are_stable_and_node_ids():
    Q, params = tutorial_graph(autograd)
    first = viz.make_dot(Q, params=params, show_saved=True).source
    assert viz.make_dot(Q, params=params, show_saved=True).source == first
    nodes, edges, _ = parse(first)
    assert str(id(Q)) in nodes and str(id(Q.grad_fn)) in nodes
    assert (str(id(Q.grad_fn)), str(id(Q))) in edges
    assert str(id(params["a"])) in nodes


def test_labels_are_escaped():
    x = autograd.tensor([1., 2.], requires_grad=True)
    name = 'we"ird\\name\nline two'
    source = viz.make_dot(x * 2, params={name: x}).source
    nodes, _, _ = parse(source)
    assert labels(nodes, "lightblue") == collections.Counter({name + "\n(2)": 1})
    assert "\nline two" not in source  # newlines stay inside the quoted label


def test_bad_arguments():
    x = autograd.tensor([1., 2.], requires_grad=True)
    with pytest.raises(TypeError, match="make_dot: expected a Tensor"):
        viz.make_dot(3)
    with pytest.raises(TypeError, match="output 1 is a int"):
        viz.make_dot((x, 1))
    with pytest.raises(TypeError, match=r"params\['w'\] is a list"):
        viz.make_dot(x * 2, params={"w": [1.0]})


# ----------------------------------------------------------------------
# show_saved / show_attrs
# ----------------------------------------------------------------------

def saved_boxes(nodes, undirected):
    """label of each node -> sorted labels of the orange boxes hanging off it."""
    out = collections.defaultdict(list)
    for tail, head in undirected:
        out[nodes[tail][0]].append((nodes[head][0], nodes[head][1]))
    return {k: sorted(v) for k, v in out.items()}


def test_show_saved_draws_saved_tensors():
    Q, params = tutorial_graph(autograd)
    plain = parse(viz.make_dot(Q, params=params).source)
    nodes, edges, undirected = parse(viz.make_dot(Q, params=params, show_saved=True).source)
    assert sorted(edges) == sorted(plain[1])  # saved boxes add no directed edges
    assert labels(nodes, "orange") == collections.Counter(
        {"saved[0]\n(2)": 1, "a\n(2)": 1, "b\n(2)": 1})
    # Mul saved a**3 (and the plain number 3, which gets no box); each Pow saved its base.
    boxes = collections.Counter(
        (nodes[t][0], nodes[h][0]) for t, h in undirected if nodes[h][1] == "orange")
    assert boxes == collections.Counter({
        ("MulBackward0", "saved[0]\n(2)"): 1, ("PowBackward0", "a\n(2)"): 1,
        ("PowBackward0", "b\n(2)"): 1,
    })
    assert len(undirected) == 3


def test_show_saved_draws_saved_result():
    x = autograd.tensor([[1., 2., 3.]], requires_grad=True)
    y = x.exp().sum()
    nodes, _, undirected = parse(viz.make_dot(y, show_saved=True).source)
    assert saved_boxes(nodes, undirected) == {"ExpBackward0": [("result\n(1, 3)", "orange")]}


def test_show_saved_after_backward_says_freed():
    Q, params = tutorial_graph(autograd)
    Q.backward(autograd.ones(2))
    nodes, edges, undirected = parse(
        viz.make_dot(Q, params=params, show_saved=True, show_attrs=True).source)
    assert labels(nodes, "orange") == collections.Counter()
    freed = [h for t, h in undirected if nodes[h][0].startswith("saved tensors freed")]
    assert sorted(nodes[t][0].split("\n")[0] for t, h in undirected if h in freed) == \
        ["MulBackward0", "PowBackward0", "PowBackward0"]
    assert len(undirected) == 3
    assert "retain_graph=True" in nodes[freed[0]][0]
    mul = next(lab for lab, _ in nodes.values() if lab.startswith("MulBackward0"))
    assert "saved: [freed by backward]" in mul
    # The structure itself survives backward.
    assert len(edges) == 8


def test_show_saved_with_retain_graph_keeps_boxes():
    Q, params = tutorial_graph(autograd)
    Q.backward(autograd.ones(2), retain_graph=True)
    nodes, _, _ = parse(viz.make_dot(Q, params=params, show_saved=True).source)
    assert sum(labels(nodes, "orange").values()) == 3


def test_show_attrs_lists_saved_values_and_attrs():
    Q, params = tutorial_graph(autograd)
    nodes, _, _ = parse(viz.make_dot(Q, params=params, show_attrs=True).source)
    by_name = collections.defaultdict(list)
    for lab, _ in nodes.values():
        by_name[lab.split("\n")[0]].append(lab.split("\n"))
    [mul] = by_name["MulBackward0"]
    assert mul[2:] == ["saved[0]: [saved tensor]", "saved[1]: 3"]
    assert set(mul[1]) == {"-"} and len(mul[1]) == len("saved[0]: [saved tensor]")
    assert sorted(p[2:] for p in by_name["PowBackward0"]) == [
        ["saved[0]: [saved tensor]", "attrs   : 2"], ["saved[0]: [saved tensor]", "attrs   : 3"]]
    assert by_name["SubBackward0"] == [["SubBackward0", "------------", "attrs: 1"]]
    assert by_name["AccumulateGrad"] == [["AccumulateGrad"], ["AccumulateGrad"]]
    x = autograd.tensor([1., 2.], requires_grad=True)
    [neg] = [lab for lab, _ in parse(viz.make_dot(-x, show_attrs=True).source)[0].values()
             if lab.startswith("Neg")]
    assert neg == "NegBackward0"  # nothing saved, no attrs: just the name


def test_show_attrs_truncates_values():
    Q, params = tutorial_graph(autograd)
    nodes, _, _ = parse(viz.make_dot(Q, show_attrs=True, max_attr_chars=8).source)
    mul = next(lab for lab, _ in nodes.values() if lab.startswith("MulBackward0"))
    assert mul.split("\n")[2:] == ["saved[0]: [save...", "saved[1]: 3"]
    nodes, _, _ = parse(viz.make_dot(Q, show_attrs=True, max_attr_chars=0).source)
    mul = next(lab for lab, _ in nodes.values() if lab.startswith("MulBackward0"))
    assert mul.split("\n")[2:] == ["saved[0]: ...", "saved[1]: 3"]


# ----------------------------------------------------------------------
# The Dot object and rendering
# ----------------------------------------------------------------------

def test_dot_object_text(tmp_path):
    Q, params = tutorial_graph(autograd)
    dot = viz.make_dot(Q, params=params)
    assert str(dot) == dot.source and dot.source.startswith("digraph {\n")
    assert "DOT" in repr(dot)
    path = dot.save(tmp_path / "q.dot")
    assert open(path, encoding="utf-8").read() == dot.source
    # Canvas grows with the graph.
    assert 'size="12,12"' in dot.source


def test_render_without_graphviz(monkeypatch, tmp_path):
    monkeypatch.setattr(viz, "_find_dot", lambda: None)
    Q, params = tutorial_graph(autograd)
    dot = viz.make_dot(Q, params=params)
    with pytest.raises(RuntimeError, match="apt install graphviz"):
        dot.render(tmp_path / "q")
    with pytest.raises(RuntimeError, match="graphviz.org"):
        dot.pipe("png")
    assert dot._repr_svg_() is None
    assert "SubBackward0" in dot.source
    assert list(tmp_path.iterdir()) == []


def test_render_rejects_unknown_format(tmp_path):
    dot = viz.make_dot(autograd.tensor([1.]))
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf"):
        dot.render(tmp_path / "q", format="exe")


@needs_dot
def test_render_svg_and_png(tmp_path):
    Q, params = tutorial_graph(autograd)
    dot = viz.make_dot(Q, params=params, show_saved=True)
    svg_path = dot.render(tmp_path / "q")
    assert svg_path == str(tmp_path / "q.svg")
    svg = open(svg_path, "rb").read()
    assert svg.lstrip().startswith((b"<?xml", b"<svg")) and b"</svg>" in svg
    assert b"SubBackward0" in svg and b"MulBackward0" in svg
    png_path = dot.render(tmp_path / "q.png", format="png")
    assert png_path == str(tmp_path / "q.png")
    assert open(png_path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in dot._repr_svg_()


@needs_dot
def test_render_reports_dot_errors(tmp_path):
    with pytest.raises(RuntimeError, match=r"render: `dot -Tsvg` failed"):
        viz.Dot("digraph { this is not dot").render(tmp_path / "bad")
