r"""torch modules used by the export (imports torch: load it only through :mod:`.to_torch`).

:class:`GroupedLayerNorm` is the grouped LayerNorm (LN-G) as a scriptable
module.  A TorchScript archive stores its compiled code, so the archive
loads without this file.  (No ``from __future__ import annotations`` here:
TorchScript reads the class annotations as types, not strings.)
"""

from typing import List

try:  # optional: without torch this module defines nothing (and doctest collection still imports it)
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised only without torch
    torch = None

__all__ = ["GroupedLayerNorm"]

if torch is not None:

    class GroupedLayerNorm(nn.Module):
        r"""LayerNorm over ``groups`` contiguous blocks of the last dimension, then ``weight * y + bias``.

        .. math::

            y_{[k]} = \frac{x_{[k]} - \mu_k}{\sqrt{\sigma_k^2 + \varepsilon}},\qquad
            x_{[k]} = x[\dots, ks:(k+1)s],\ s = \mathrm{width}/\mathrm{groups}

        with the population variance, as :func:`lnnet_construct.ops.layer_norm`;
        implemented as reshape → ``nn.LayerNorm(s)`` → reshape back.

        Examples
        --------
        >>> m = GroupedLayerNorm(4, 2, 0.0)
        >>> m(torch.tensor([[0.0, 2.0, 5.0, 1.0]], dtype=torch.float64))
        tensor([[-1.,  1.,  1., -1.]], dtype=torch.float64)
        """

        groups: int
        group_size: int
        width: int
        eps: float

        def __init__(self, width: int, groups: int, eps: float, weight=None, bias=None):
            super().__init__()
            self.width = int(width)
            self.groups = int(groups)
            self.group_size = self.width // self.groups
            self.eps = float(eps)
            self.norm = nn.LayerNorm(self.group_size, eps=self.eps, elementwise_affine=False, dtype=torch.float64)
            if weight is None:
                self.register_parameter("weight", None)
            else:
                self.weight = nn.Parameter(torch.as_tensor(weight, dtype=torch.float64), requires_grad=False)
            if bias is None:
                self.register_parameter("bias", None)
            else:
                self.bias = nn.Parameter(torch.as_tensor(bias, dtype=torch.float64), requires_grad=False)

        def forward(self, x):
            lead: List[int] = list(x.shape[:-1])
            y = self.norm(x.reshape(lead + [self.groups, self.group_size])).reshape(lead + [self.width])
            w = self.weight
            if w is not None:
                y = y * w
            b = self.bias
            if b is not None:
                y = y + b
            return y

        def extra_repr(self) -> str:
            return f"{self.width}, groups={self.groups}, eps={self.eps}, elementwise_affine={self.weight is not None or self.bias is not None}"
