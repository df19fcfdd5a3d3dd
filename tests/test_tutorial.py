"""The autograd part of "A gentle introduction to torch.autograd" (the
project's seed document), run line for line with only the import changed,
printing exactly what the tutorial shows."""
import contextlib
import io
import textwrap

import autograd


def _run(source):
    """Execute tutorial code with ``import torch`` swapped for this library
    and return what it printed."""
    source = textwrap.dedent(source)
    assert "import torch\n" in source
    source = source.replace("import torch\n", "import autograd as torch\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<tutorial>", "exec"), {"__name__": "__tutorial__"})
    return out.getvalue()


def test_differentiation_in_autograd():
    printed = _run("""
        import torch

        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)

        Q = 3*a**3 - b**2

        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)

        # check if collected gradients are correct
        print(9*a**2 == a.grad)
        print(-2*b == b.grad)
    """)
    assert printed == "tensor([True, True])\ntensor([True, True])\n"


def test_differentiation_gradients_values():
    # The same example: the values behind those True's, as printed.
    a = autograd.tensor([2., 3.], requires_grad=True)
    b = autograd.tensor([6., 4.], requires_grad=True)
    Q = 3*a**3 - b**2
    external_grad = autograd.tensor([1., 1.])
    Q.backward(gradient=external_grad)
    assert repr(a.grad) == "tensor([36., 81.])"
    assert repr(b.grad) == "tensor([-12.,  -8.])"
    assert repr(Q) == "tensor([-12.,  65.], grad_fn=<SubBackward0>)"


def test_exclusion_from_the_dag():
    printed = _run("""
        import torch

        x = torch.rand(5, 5)
        y = torch.rand(5, 5)
        z = torch.rand((5, 5), requires_grad=True)

        a = x + y
        print(f"Does `a` require gradients? : {a.requires_grad}")
        b = x + z
        print(f"Does `b` require gradients?: {b.requires_grad}")
    """)
    assert printed == (
        "Does `a` require gradients? : False\n"
        "Does `b` require gradients?: True\n"
    )
