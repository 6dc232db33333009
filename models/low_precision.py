"""bfloat16 generators for the CPU: the convolutions in bfloat16, everything else in float32.

A style's audio→image generator (:class:`models.networks.ResnetGenerator`) spends its time in
its convolutions. On x86 CPUs with native bfloat16 (AMX-BF16 on Sapphire Rapids and later,
or AVX512-BF16 on Cooper Lake and later) oneDNN runs them in bfloat16 with float32
accumulation; :func:`low_precision_generator` gives a copy of a generator whose
convolutions do (:class:`LowPrecisionConv2d`), with the generator's own code around them
(its per-window expression strength included). What changes in the bits:

- the convolution weights are rounded once to bfloat16 (8 significant bits instead of 24),
  each convolution's input is rounded to bfloat16, and each convolution's output (summed in
  float32 by oneDNN) is rounded once to bfloat16 and widened back to float32;
- everything else is float32 as in the generator: the audio descriptors and their FiLM
  embedding, every instance norm with its FiLM scale and shift, the residual sums, the
  final tanh, and the expression head (:mod:`models.expression`); a global bottleneck's
  linear layers too. With ``torch.float32``, :func:`with_low_precision_convolutions` gives
  the generator's own bits.

Measured on a 2-core Xeon with AMX (torch 2.13, ``squiggle``, 1 thread, load 1.7–2.3), per
picture with the :class:`models.inference.Runner` ``compiled`` engine (``torch.compile`` of
this module): 2.33 / 1.95 / 1.51 / 1.34 ms at batch 1 / 2 / 4 / 8 against 3.85 / 3.25 / 2.96 /
2.88 ms for float32 compiled, 1.65–2.14× (channels-last: 2.21 / 2.08 / 1.70 / 1.54 ms); eager
5.6 / 3.0 ms at batch 1 / 8 against 6.7 / 4.6 ms. With 2 threads the compiled engine runs
fixed batches of 16 (as float32 does): 1.45 against 2.91 ms a picture at batch 8. On 1,137
real windows (synth clips and held-out instruments) its uint8 pictures
(:func:`models.pictures.unit_to_uint8`)
differ from float32 ones by 0.18 steps on average and 1.3 % of pixels by more than 2 steps;
a few pixels of near-silent windows differ by up to ~120 steps (instance norm magnifies
their rounding noise, and the expression head's dilation and spray spread it). A window
gives the same bytes alone or in any batch at any position, eager or compiled, and eager
gives the same bytes with 1 or 2 threads; the compiled engine's own probe handles 2
threads as for float32 (here both fall back to fixed batches of 16).

CPUs without native bfloat16 would emulate it, slower than float32: :func:`bfloat16_supported`
checks ``torch.cpu.get_capabilities()`` (``amx_bf16`` or ``avx512_bf16``) and
``torch.ops.mkldnn._is_mkldnn_bf16_supported()``, and :func:`low_precision_generator` returns
the float32 generator unchanged where it says no (or raises, if asked to insist).
"""

from __future__ import annotations

import copy
import logging

import torch
from torch import nn

from models.networks import ResnetGenerator

log = logging.getLogger(__name__)

#: Precisions :func:`low_precision_generator` knows.
PRECISIONS = ("float32", "bfloat16")


class LowPrecisionError(RuntimeError):
    """A low precision was insisted on where this CPU or torch build cannot run it fast."""


def bfloat16_kind() -> str:
    """How this CPU runs bfloat16 convolutions: ``"amx"`` (AMX-BF16 tiles), ``"avx512"``
    (AVX512-BF16 dot products) or ``"none"`` (emulated, slower than float32), as torch
    (``torch.cpu.get_capabilities()``) and oneDNN report it; ``"none"`` where torch cannot
    tell (an older or non-x86 build)."""
    try:
        caps = torch.cpu.get_capabilities()
    except (AttributeError, RuntimeError):
        return "none"
    if not _onednn_bfloat16():
        return "none"
    if caps.get("amx_bf16") and caps.get("amx_tile"):
        return "amx"
    if caps.get("avx512_bf16"):
        return "avx512"
    return "none"


def _onednn_bfloat16() -> bool:
    """True if torch's oneDNN is built in and says it runs bfloat16 natively here."""
    try:
        return bool(torch.backends.mkldnn.is_available()) and bool(
            torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def bfloat16_supported() -> bool:
    """True if this CPU has native bfloat16 (AMX-BF16 or AVX512-BF16) and torch's oneDNN
    uses it."""
    return bfloat16_kind() != "none"


class LowPrecisionConv2d(nn.Module):
    """A convolution run at ``dtype``: its input is rounded to ``dtype``, oneDNN sums in
    float32, and its output is rounded once to ``dtype`` and widened back to float32, so
    the layers around it stay float32. ``(B, C, H, W)`` float32 in and out.

    Args:
        conv: the float32 convolution; its weights are copied at ``dtype``.
        dtype: ``torch.bfloat16``, or ``torch.float32`` (the convolution's own bits).
        channels_last: run it on NHWC tensors (the same bits; measured compiled, 5 % faster
            at batch 1 and 13 % slower at batch 8 than NCHW, the default).
    """

    def __init__(
        self, conv: nn.Conv2d, dtype: torch.dtype = torch.bfloat16, channels_last: bool = False
    ) -> None:
        super().__init__()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.conv = copy.deepcopy(conv).to(dtype=dtype, memory_format=self.memory_format)
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = x.to(self.dtype).contiguous(memory_format=self.memory_format)
        return self.conv(low).float()


def with_low_precision_convolutions(
    net: ResnetGenerator, dtype: torch.dtype = torch.bfloat16, channels_last: bool = False
) -> ResnetGenerator:
    """A copy of ``net`` whose convolutions run at ``dtype`` (:class:`LowPrecisionConv2d`);
    everything else — the descriptors and their FiLM embedding, each instance norm with its
    FiLM scale and shift, the residual sums, the tanh, the expression head with its
    per-window strength — is the generator's own float32 code. ``net`` is left as it is."""
    low = copy.deepcopy(net).eval()
    for module in list(low.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.Conv2d):
                setattr(module, name, LowPrecisionConv2d(child, dtype, channels_last))
    for p in low.parameters():
        p.requires_grad_(False)
    return low


def low_precision_generator(
    net: ResnetGenerator,
    *,
    precision: str = "bfloat16",
    require: bool = False,
    channels_last: bool = False,
) -> nn.Module:
    """``net`` to run at ``precision`` on this CPU: a copy with bfloat16 convolutions
    (:func:`with_low_precision_convolutions`) for
    ``"bfloat16"`` where the CPU has native bfloat16 (:func:`bfloat16_supported`), else
    ``net`` itself (float32, logged). The result is a :class:`ResnetGenerator` called as
    ``net`` is (``(B, 1, S, S)`` float32 windows, optional ``(B,)`` head strengths →
    ``(B, 1, S, S)`` float32 in [-1, 1]) and can be handed to
    :class:`models.inference.Runner` in place of it (eager or compiled).

    Args:
        net: a float32 generator (left unchanged).
        precision: ``"bfloat16"`` or ``"float32"`` (returns ``net``).
        require: raise instead of falling back to float32.
        channels_last: see :class:`LowPrecisionConv2d`.

    Raises:
        ValueError: an unknown precision.
        LowPrecisionError: ``require`` and no native bfloat16 here.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "float32":
        return net
    kind = bfloat16_kind()
    if kind == "none":
        if require:
            raise LowPrecisionError(
                "this CPU (or torch's oneDNN) has no native bfloat16 (AMX-BF16 or "
                "AVX512-BF16), where it runs slower than float32; use precision 'float32'"
            )
        log.info("no native bfloat16 on this CPU: the generator stays float32")
        return net
    log.info("generator convolutions in bfloat16 (%s)", kind)
    return with_low_precision_convolutions(net, torch.bfloat16, channels_last)
