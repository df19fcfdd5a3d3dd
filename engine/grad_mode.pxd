# Grad mode: whether ops record backward nodes.  Thread-local, as in PyTorch.

cdef extern from *:
    """
    static __thread int cygrad_grad_disabled = 0;
    """
    int cygrad_grad_disabled    # 0 means enabled, so a new thread starts enabled

cpdef bint is_grad_enabled() noexcept
cpdef bint set_grad_enabled(bint mode) noexcept
