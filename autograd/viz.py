"""Pictures of the backward graph, in the style of torchviz's ``make_dot``.

``make_dot`` writes Graphviz DOT text for the graph of backward nodes behind
one or more outputs.  The text needs nothing to build; turning it into SVG or
PNG needs the Graphviz ``dot`` program (found on ``PATH`` when rendering),
not a Python package.

    >>> import autograd
    >>> a = autograd.tensor([2., 3.], requires_grad=True)
    >>> b = autograd.tensor([6., 4.], requires_grad=True)
    >>> Q = 3 * a**3 - b**2
    >>> dot = autograd.viz.make_dot(Q, params={"a": a, "b": b})
    >>> "SubBackward0" in dot.source
    True
"""
import shutil
import subprocess

from engine import graph as _graph
from engine.tensor import TensorBase

__all__ = ["Dot", "make_dot"]

_OUTPUT_COLOR = "darkolivegreen1"
_LEAF_COLOR = "lightblue"
_SAVED_COLOR = "orange"
_FORMATS = ("svg", "png", "pdf")
_INSTALL_HINT = (
    "install Graphviz (`apt install graphviz` on Debian/Ubuntu, `brew install graphviz` "
    "on macOS, or a package from https://graphviz.org/download/)"
)


def _find_dot():
    return shutil.which("dot")


# ======================================================================
# The result object
# ======================================================================

class Dot:
    """DOT text for a graph, plus rendering through the ``dot`` program.

    Args:
        source: the DOT text (``digraph { ... }``).

    Example::

        dot = make_dot(loss)
        dot.save("loss.dot")            # the DOT text; needs no Graphviz
        dot.render("loss", format="svg")  # writes loss.svg; needs `dot`
    """

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def __repr__(self):
        return f"<autograd.viz.Dot: {self.source.count(chr(10)) + 1} lines of DOT>"

    def pipe(self, format="svg", timeout=60):
        """Run ``dot`` on the source and return the rendered bytes.

        Args:
            format: "svg", "png" or "pdf".
            timeout: seconds to wait for ``dot`` before giving up.
        """
        if format not in _FORMATS:
            raise ValueError(
                f"render: format must be one of {', '.join(_FORMATS)}, got {format!r}"
            )
        exe = _find_dot()
        if exe is None:
            raise RuntimeError(
                "render: the Graphviz `dot` program was not found on PATH; "
                f"{_INSTALL_HINT}. The DOT text is available as `.source` without it."
            )
        try:
            done = subprocess.run(
                [exe, "-T" + format], input=self.source.encode("utf-8"),
                capture_output=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"render: `dot` did not finish within {timeout} seconds; pass a larger "
                "timeout, or save the DOT text with `.save(path)` and render it yourself"
            ) from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"render: `dot -T{format}` failed ({done.returncode}): {message}")
        return done.stdout

    def render(self, filename, format="svg", timeout=60):
        """Render the graph into a file and return its path.

        ``format`` is appended to ``filename`` as an extension unless the
        name already ends with it (``render("q")`` and ``render("q.svg")``
        both write ``q.svg``).  Raises RuntimeError if Graphviz is missing.
        """
        data = self.pipe(format, timeout)
        path = str(filename)
        if not path.endswith("." + format):
            path = f"{path}.{format}"
        with open(path, "wb") as f:
            f.write(data)
        return path

    def save(self, path):
        """Write the DOT text to ``path`` and return the path."""
        path = str(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def _repr_svg_(self):
        # Notebooks fall back to the text repr when this returns None.
        if _find_dot() is None:
            return None
        return self.pipe("svg").decode("utf-8")


# ======================================================================
# Building the DOT text
# ======================================================================

def _quote(text):
    """A DOT double-quoted string; newlines become DOT's ``\\n`` line break."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def _shape(t):
    return "(" + ", ".join(str(int(s)) for s in t.shape) + ")"


def _tensor_label(t, name):
    return f"{name}\n{_shape(t)}" if name else _shape(t)


def _truncate(text, limit):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _saved_values(node):
    """``(saved, result)`` of a node, or None once backward freed them.

    ``result`` is None when the op did not save its output.
    """
    try:
        saved = node.saved
        result = node.result
    except RuntimeError:
        return None
    return (saved if saved is not None else ()), result


def _function_label(node, show_attrs, max_attr_chars):
    name = node.name()
    if not show_attrs or not isinstance(node, _graph.FunctionNode):
        return name
    rows = []
    values = _saved_values(node)
    if values is None:
        rows.append(("saved", "[freed by backward]"))
    else:
        saved, result = values
        for i, value in enumerate(saved):
            text = "[saved tensor]" if isinstance(value, TensorBase) else repr(value)
            rows.append((f"saved[{i}]", text))
        if result is not None:
            rows.append(("result", "[saved tensor]"))
    attrs = node.attrs
    if isinstance(attrs, dict):
        rows.extend((str(k), repr(v)) for k, v in attrs.items())
    elif attrs is not None:
        rows.append(("attrs", repr(attrs)))
    if not rows:
        return name
    limit = max(int(max_attr_chars), 3)
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}: {_truncate(v, limit)}" for k, v in rows]
    rule = "-" * max(len(name), max(len(line) for line in lines))
    return "\n".join([name, rule] + lines)


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """Draw the backward graph behind ``var`` as Graphviz DOT text.

    Arrows run the way the forward pass did, from the leaves through the
    backward nodes to the outputs.  Outputs are green, leaves that require
    grad light blue (named from ``params``), and with ``show_saved`` the
    tensors each node saved for its formula are orange.

    Args:
        var: an output tensor, or a tuple/list of them.
        params: optional dict name -> tensor (e.g.
            ``dict(model.named_parameters())``) naming the leaves.
        show_attrs: list each node's saved values and non-tensor state
            under its name.
        show_saved: draw the saved tensors (and the saved output) of each
            node; after a backward pass freed them, a dashed note says so.
        max_attr_chars: longest value shown by ``show_attrs``.

    Returns:
        a ``Dot``: ``.source`` is the DOT text; ``.render(path, format)``
        and notebooks' SVG display need Graphviz's ``dot`` program.

    Example::

        >>> import autograd
        >>> x = autograd.tensor([1., 2.], requires_grad=True)
        >>> dot = autograd.viz.make_dot((x * x).sum(), params={"x": x})
        >>> dot.render("x_graph", format="png")  # doctest: +SKIP
        'x_graph.png'
    """
    if isinstance(var, TensorBase):
        outputs = (var,)
    elif isinstance(var, (tuple, list)):
        outputs = tuple(var)
    else:
        raise TypeError(
            f"make_dot: expected a Tensor or a tuple of Tensors, got {type(var).__name__}"
        )
    for i, out in enumerate(outputs):
        if not isinstance(out, TensorBase):
            raise TypeError(f"make_dot: output {i} is a {type(out).__name__}, not a Tensor")
    names = {}
    if params is not None:
        for key, value in dict(params).items():
            if not isinstance(value, TensorBase):
                raise TypeError(
                    f"make_dot: params[{key!r}] is a {type(value).__name__}, not a Tensor"
                )
            names[id(value)] = str(key)

    body = []
    drawn = set()  # ids of the tensors and nodes already written (all alive)

    def tensor_node(t, color):
        key = id(t)
        if key not in drawn:
            drawn.add(key)
            label = _tensor_label(t, names.get(key, ""))
            body.append(f'\t"{key}" [label={_quote(label)} fillcolor={color}]')
        return key

    stack = []
    for out in outputs:
        if id(out) in drawn:
            continue
        key = tensor_node(out, _OUTPUT_COLOR)
        fn = out.grad_fn
        if fn is not None:
            if id(fn) not in drawn:
                drawn.add(id(fn))
                stack.append(fn)
            body.append(f'\t"{id(fn)}" -> "{key}"')

    # The recursive walk would be:
    #     def visit(node):
    #         draw(node)
    #         for next in node.next_functions:
    #             edge(next -> node)
    #             if next not drawn: visit(next)
    # An explicit stack keeps a deep chain off the Python stack.
    while stack:
        node = stack.pop()
        fid = id(node)
        body.append(
            f'\t"{fid}" [label={_quote(_function_label(node, show_attrs, max_attr_chars))}]'
        )
        if isinstance(node, _graph.AccumulateGrad):
            leaf = tensor_node(node.variable, _LEAF_COLOR)
            body.append(f'\t"{leaf}" -> "{fid}"')
        elif show_saved and isinstance(node, _graph.FunctionNode):
            _draw_saved(node, fid, body, names)
        pending = []
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            body.append(f'\t"{id(nxt)}" -> "{fid}"')
            if id(nxt) not in drawn:
                drawn.add(id(nxt))
                pending.append(nxt)
        # Reversed, so the first input is drawn first.
        stack.extend(reversed(pending))

    # Grow the canvas with the graph so big graphs stay legible.
    side = max(12.0, 0.15 * len(body))
    head = [
        "digraph {",
        f'\tgraph [size="{side:g},{side:g}"]',
        "\tnode [align=left fontname=monospace fontsize=10 height=0.2 "
        "ranksep=0.1 shape=box style=filled]",
    ]
    return Dot("\n".join(head + body + ["}"]) + "\n")


def _draw_saved(node, fid, body, names):
    """Orange boxes for what ``node`` saved, hanging off it undirected."""
    values = _saved_values(node)
    if values is None:
        label = "saved tensors freed\n(backward already ran;\nuse retain_graph=True to keep them)"
        body.append(f'\t"{fid}_freed" [label={_quote(label)} style=dashed]')
        body.append(f'\t"{fid}" -> "{fid}_freed" [dir=none style=dashed]')
        return
    saved, result = values
    boxes = [(f"{fid}_saved{i}", t, names.get(id(t), f"saved[{i}]"))
             for i, t in enumerate(saved) if isinstance(t, TensorBase)]
    if result is not None:
        boxes.append((f"{fid}_result", result, "result"))
    for key, t, name in boxes:
        body.append(f'\t"{key}" [label={_quote(_tensor_label(t, name))} fillcolor={_SAVED_COLOR}]')
        body.append(f'\t"{fid}" -> "{key}" [dir=none]')
