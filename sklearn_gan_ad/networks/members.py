"""Ensemble members as one network: every module takes a leading member axis.

An ensemble of ``n_members`` small networks trained one after another spends
most of its time in per-call overhead: hundreds of tiny kernels per step, once
per member. Every network family instead maps ``(n_members, batch, ...)`` to
``(n_members, batch, ...)``, so that one call serves all members. Members stay
independent: each has its own weights (drawn one member after another), its
own mini-batches and prior draws (:mod:`sklearn_gan_ad.training`), and the
training loss is the *sum* of the members' losses, so each member's gradient
is exactly the gradient of its own loss.

- :class:`MemberLinear` holds the weights of all members in one tensor and
  applies them with one batched matrix product.
- :class:`MemberStack` runs ``n_members`` copies of any module one after
  another; it serves modules with no batched form (torch's LSTM kernel takes a
  single set of weights).

A module class that takes the member axis itself says so with a class
attribute ``takes_member_axis = True`` and accepts ``n_members``; the detectors
wrap any other module class in a :class:`MemberStack`.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

# CPU matrix-product kernels are slow for outputs narrower than this: on the
# reference machine (MKL, AVX2) 5 x 2,048 x 64 rows times 64 x 3 took 1.4 ms and
# times 64 x 16 0.42 ms (benchmarks/kernels.py), and scoring 1M x 20 rows took
# 11 % less CPU time with the 3-wide code layer padded to 16 columns.
_MIN_OUTPUT_COLUMNS = 16


class MemberLinear(nn.Module):
    """``n_members`` independent linear layers applied as one batched matrix product.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each member's input and output.
    n_members : int, default=1
        Number of members.

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (n_members, in_features, out_features)
        Each member initialised as :class:`torch.nn.Linear` initialises itself
        (uniform in ``±1 / sqrt(in_features)``).
    bias : torch.nn.Parameter of shape (n_members, 1, out_features)
    """

    def __init__(self, in_features, out_features, n_members=1):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        with torch.no_grad():
            # member by member, weights (in nn.Linear's layout) before bias, as
            # n_members nn.Linear layers would draw them: one member draws the
            # weights a single network of 0.2.0 drew
            for member in range(n_members):
                weight = torch.empty(out_features, in_features).uniform_(-bound, bound)
                self.weight[member] = weight.T
                self.bias[member].uniform_(-bound, bound)

    @property
    def n_members(self):
        return self.weight.shape[0]

    def forward(self, x):
        """``(n_members, batch, in_features)`` to ``(n_members, batch, out_features)``."""
        if self.out_features < _MIN_OUTPUT_COLUMNS and not torch.is_grad_enabled():
            # scoring: a narrow output (a latent code) is computed with zero
            # columns added, then cut back
            extra = _MIN_OUTPUT_COLUMNS - self.out_features
            product = torch.baddbmm(F.pad(self.bias, (0, extra)), x, F.pad(self.weight, (0, extra)))
            return product[..., : self.out_features]
        return torch.baddbmm(self.bias, x, self.weight)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"n_members={self.n_members}"
        )


class MemberStack(nn.Module):
    """``n_members`` independently initialised copies of ``member``, run one after another.

    Parameters
    ----------
    member : type of torch.nn.Module
        The single-member network; it maps ``(batch, ...)`` to ``(batch, ...)``.
    n_members : int
        Number of copies.
    **kwargs
        Passed to ``member``.
    """

    def __init__(self, member, n_members=1, **kwargs):
        super().__init__()
        self.members = nn.ModuleList(member(**kwargs) for _ in range(n_members))

    @property
    def n_members(self):
        return len(self.members)

    def _each(self, method, x):
        return torch.stack([getattr(member, method)(part) for member, part in zip(self.members, x)])

    def forward(self, x):
        return self._each("forward", x)

    def features(self, x):
        return self._each("features", x)

    def embedding(self, x):
        return self._each("embedding", x)

    def start_from_data(self, x, generator):
        """Each member's data-dependent start (see the member class), if it has one."""
        for member, partner in zip(self.members, generator.members):
            start = getattr(member, "start_from_data", None)
            if start is not None:
                start(x, partner)


def with_member_axis(cls, kwargs):
    """``(class, kwargs)`` of a module for all members: ``cls`` itself if it takes
    the member axis (it gets ``n_members`` from the net), else a :class:`MemberStack`
    of it."""
    if getattr(cls, "takes_member_axis", False):
        return cls, kwargs
    return MemberStack, {"member": cls, **kwargs}


def member_state_from_single(module, member_states):
    """A ``module`` state dict assembled from single-network state dicts.

    Model files written before ensemble members were batched (format 2) hold one
    ``torch.nn.Linear``-style state dict per member; this maps them onto the
    batched module's parameters.
    """
    state = {}
    for name, target in module.state_dict().items():
        if isinstance(module, MemberStack):
            _, member, key = name.split(".", 2)
            state[name] = member_states[int(member)][key]
            continue
        parts = [single[name] for single in member_states]
        if name.endswith("weight"):  # nn.Linear keeps (out, in); MemberLinear (in, out)
            state[name] = torch.stack([part.T for part in parts])
        else:
            state[name] = torch.stack([part[None] for part in parts])
        if state[name].shape != target.shape:
            raise ValueError(f"cannot map member weights {name!r} of shape {parts[0].shape}")
    return state
