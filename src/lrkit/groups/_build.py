"""Building named optimizer parameter groups: by pattern or module, layer-wise decay, spreads.

(Over 400 lines for one job, building groups: `param_groups`, `discriminative` and `layerwise`
share the naming, no-decay splitting and option rules kept private here; about a third is
docstrings with runnable examples.)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch import nn

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.groups._check import UNASSIGNED, check_groups
from lrkit.groups._select import describe, module_of, named_parameters, select

__all__ = [
    "NORM_LAYERS",
    "auto_blocks",
    "discriminative",
    "is_no_decay",
    "layerwise",
    "layerwise_rates",
    "param_groups",
    "spread",
]

#: Normalization layers whose weights (scales) are not decayed by the usual recipe.
NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    nn.RMSNorm,
)

#: ``rule(name, parameter, module) -> True`` when the parameter gets no weight decay.
NoDecayRule = Callable[[str, nn.Parameter, nn.Module], bool]


def is_no_decay(name: str, param: nn.Parameter, module: nn.Module) -> bool:
    """The usual no-weight-decay rule: biases, and the weights of normalization layers.

    ``True`` when `name` ends in ``bias`` or `module` (the parameter's owner) is a batch, layer,
    group, instance or RMS norm. Embeddings and other 1-d parameters are decayed; pass your own
    rule (or ``no_decay=lambda name, p, m: p.ndim <= 1``, timm's rule) to change that.

    Args:
        name: the parameter's qualified name.
        param: the parameter.
        module: the module that owns it directly.

    Example:
        >>> from torch import nn
        >>> norm = nn.LayerNorm(4)
        >>> fc = nn.Linear(2, 2)
        >>> is_no_decay("norm.weight", norm.weight, norm), is_no_decay("fc.weight", fc.weight, fc)
        (True, False)
    """
    return name.rsplit(".", 1)[-1] == "bias" or isinstance(module, NORM_LAYERS)


def spread(start: float | None, stop: float, n: int) -> list[float]:
    """`n` rates spread geometrically from `start` to `stop` (fastai's ``slice``).

    ``rate_i = start * (stop / start) ** (i / (n - 1))`` for ``i = 0 .. n-1``; with
    ``start=None``, fastai's ``slice(stop)``: ``stop / 10`` for every group but the last, which
    gets `stop`. The first group is the one nearest the input.

    Args:
        start: the first group's rate, > 0, or None.
        stop: the last group's rate, > 0.
        n: the number of groups, >= 1.

    Raises:
        ValueError: a rate that is not a positive finite number, or ``n < 1``.

    Example:
        >>> [round(r, 12) for r in spread(1e-5, 1e-3, 3)]
        [1e-05, 0.0001, 0.001]
        >>> spread(None, 1e-3, 3)
        [0.0001, 0.0001, 0.001]

    Reference: Howard & Ruder, "Universal Language Model Fine-tuning for Text Classification", 2018.
    """
    stop = check_number("spread", "stop", stop, low=0.0, low_open=True)
    n = check_int("spread", "n", n, low=1)
    if start is None:
        return [stop / 10.0] * (n - 1) + [stop]
    start = check_number("spread", "start", start, low=0.0, low_open=True)
    if n == 1:
        return [stop]
    return [start * (stop / start) ** (i / (n - 1)) for i in range(n)]


def layerwise_rates(rate: float, decay: float, n: int) -> list[float]:
    """Layer-wise decayed rates for `n` blocks, the last (nearest the output) at `rate`.

    ``rate_i = rate * decay ** (depth - i)`` with ``depth = n - 1`` and ``i = 0`` the block nearest
    the input (BEiT's and ELECTRA's layer-wise learning-rate decay).

    Args:
        rate: the rate of the last block, > 0.
        decay: the factor between neighbouring blocks, in (0, 1].
        n: the number of blocks, >= 1.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> layerwise_rates(1.0, 0.5, 4)
        [0.125, 0.25, 0.5, 1.0]

    Reference: Clark et al., "ELECTRA", 2020; Bao et al., "BEiT", 2022.
    """
    rate = check_number("layerwise", "rate", rate, low=0.0, low_open=True)
    decay = check_number("layerwise", "decay", decay, low=0.0, high=1.0, low_open=True)
    n = check_int("layerwise", "blocks", n, low=1)
    depth = n - 1
    return [rate * decay ** (depth - i) for i in range(n)]


def auto_blocks(model: nn.Module) -> list[nn.Module | str | list[nn.Module | str]]:
    """The model's blocks in depth order, found from its module nesting.

    The model's children in registration order, each ``nn.Sequential`` or ``nn.ModuleList``
    child expanded into its items (one level: a ResNet's ``layer1`` gives its residual blocks, a
    ViT's ``blocks`` its transformer blocks); children without parameters are skipped; parameters
    held directly by the model or by an expanded container join the block that follows them
    (a ViT's ``cls_token`` and ``pos_embed`` go with its patch embedding, as in timm).

    Args:
        model: the model.

    Raises:
        ValueError: the model has no parameters.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 2)))
        >>> [b for b in auto_blocks(net)]  # doctest: +ELLIPSIS
        [Linear(...), Linear(...), Linear(...)]
    """
    blocks: list[nn.Module | str | list[nn.Module | str]] = []
    pending: list[nn.Module | str] = []

    def visit(module: nn.Module, prefix: str, expand: bool) -> None:
        for name, _ in module.named_parameters(recurse=False):
            pending.append(f"{prefix}{name}")
        for child in module.children():
            if expand and isinstance(child, (nn.Sequential, nn.ModuleList)):
                visit(child, prefix + _child_name(module, child) + ".", False)
            elif any(True for _ in child.parameters()):
                blocks.append([*pending, child] if pending else child)
                pending.clear()

    visit(model, "", True)
    if pending:
        if blocks:
            last = blocks.pop()
            blocks.append([*(last if isinstance(last, list) else [last]), *pending])
        else:
            blocks.append(list(pending))
    if not blocks:
        raise fail("auto_blocks", "model", type(model).__name__, "a model with parameters")
    return blocks


def _child_name(parent: nn.Module, child: nn.Module) -> str:
    for name, candidate in parent.named_children():
        if candidate is child:
            return name
    raise RuntimeError("child not found")  # pragma: no cover - children() and named_children() agree


def _options(owner: str, key: str, value: Any) -> dict[str, Any]:
    """A rate (float) or a mapping of group options, as a dict of options."""
    if isinstance(value, Mapping):
        options = dict(value)
        for forbidden in ("params",):
            if forbidden in options:
                raise fail(owner, "rates", {key: "..."}, f"options without {forbidden!r} (lrkit fills it)")
        if "lr" in options:
            options["lr"] = check_number(owner, f"rates[{key!r}]['lr']", options["lr"], low=0.0)
        return options
    return {"lr": check_number(owner, f"rates[{key!r}]", value, low=0.0)}


def _no_decay_rule(owner: str, model: nn.Module, no_decay: Any) -> Callable[[str, nn.Parameter], bool] | None:
    if no_decay is None or no_decay is False:
        return None
    if no_decay is True:
        rule: NoDecayRule = is_no_decay
    elif callable(no_decay):
        rule = no_decay
    elif isinstance(no_decay, (str, list, tuple)):
        names = set(select(model, no_decay, owner=owner, argument="no_decay"))
        return lambda name, param: name in names
    else:
        raise fail(
            owner,
            "no_decay",
            no_decay,
            "None, True, a rule(name, param, module) or name patterns",
            kind=TypeError,
        )
    return lambda name, param: bool(rule(name, param, module_of(model, name)))


def _build(
    owner: str,
    model: nn.Module,
    entries: Sequence[tuple[str, Any, dict[str, Any]]],
    *,
    default: Any,
    weight_decay: float | None,
    no_decay: Any,
    frozen: Any,
    unassigned: str,
) -> list[dict[str, Any]]:
    if not isinstance(model, nn.Module):
        raise fail(owner, "model", type(model).__name__, "a torch.nn.Module", kind=TypeError)
    check_choice(owner, "unassigned", unassigned, UNASSIGNED)
    if weight_decay is not None:
        weight_decay = check_number(owner, "weight_decay", weight_decay, low=0.0)
    rule = _no_decay_rule(owner, model, no_decay)
    params = dict(named_parameters(model))
    taken: dict[str, str] = {}  # parameter name -> group name
    groups: list[tuple[str, list[str], dict[str, Any]]] = []

    frozen_names: list[str] = []
    if frozen is not None and frozen != ():
        frozen_names = select(model, frozen, owner=owner, argument="frozen")
        for name in frozen_names:
            params[name].requires_grad_(False)
            params[name].grad = None
            taken[name] = "frozen"

    for label, selector, options in entries:
        names = select(model, selector, owner=owner, argument="rates")
        free = [name for name in names if name not in taken]
        if not free:
            earlier = sorted({taken[name] for name in names})
            raise ValueError(
                f"The group {label!r} of {owner}() is empty: all {len(names)} parameters its entry "
                f"matches were taken by earlier entries {earlier!r} (the first entry that matches "
                f"a parameter wins). Fix: put the more specific entry first, or drop this one"
            )
        for name in free:
            taken[name] = label
        groups.append((label, free, options))

    rest = [name for name in params if name not in taken]
    if rest and default is not None:
        groups.append(("default", rest, _options(owner, "default", default)))
        rest = []
    if rest:
        trainable = [name for name in rest if params[name].requires_grad]
        if trainable:
            message = (
                f"{len(trainable)} trainable parameters of the model are in no group of {owner}(): "
                f"{_some(trainable)}. Fix: give `default=<lr>` for the rest, add an entry that "
                f"matches them, or freeze them with `frozen=`"
            )
            if unassigned == "error":
                raise ValueError(message + " (or pass unassigned='warn' to leave them out)")
            if unassigned == "warn":
                warnings.warn(message, UserWarning, stacklevel=3)

    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for label, names, options in groups:
        name = str(options.pop("name", label))
        decayed, plain = names, []
        if rule is not None:
            decayed = [n for n in names if not rule(n, params[n])]
            plain = [n for n in names if rule(n, params[n])]
        for suffix, members, extra in (("", decayed, {}), ("/no_decay", plain, {"weight_decay": 0.0})):
            if not members:
                continue
            group: dict[str, Any] = {
                "name": _unique(name + suffix, used),
                "params": [params[n] for n in members],
            }
            group.update(options)
            if weight_decay is not None and "weight_decay" not in options:
                group["weight_decay"] = weight_decay
            group.update(extra)
            out.append(group)
    if frozen_names:
        out.append(
            {
                "name": _unique("frozen", used),
                "params": [params[n] for n in frozen_names],
                "lr": 0.0,
                "weight_decay": 0.0,
            }
        )
    check_groups(out, model, unassigned="ignore", _lr_optional=True)
    return out


def _unique(name: str, used: set[str]) -> str:
    candidate, k = name, 2
    while candidate in used:
        candidate = f"{name}#{k}"
        k += 1
    used.add(candidate)
    return candidate


def _some(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def param_groups(
    model: nn.Module,
    rates: Mapping[Any, Any] | None = None,
    *,
    default: float | Mapping[str, Any] | None = None,
    weight_decay: float | None = None,
    no_decay: Any = None,
    frozen: Any = None,
    unassigned: str = "error",
) -> list[dict[str, Any]]:
    """Named optimizer parameter groups, by name pattern or by module, with a default for the rest.

    Each entry of `rates` maps a selector to a rate (or to a dict of group options such as
    ``{"lr": 1e-4, "weight_decay": 0.0}``). A selector is a module of the model, a glob on
    qualified parameter names (``"backbone.*"``, ``"*.bias"``; a plain module path such as
    ``"backbone"`` selects everything under it) or a list of those. **The first entry that matches
    a parameter wins** (a routing table): put specific entries before general ones. Each group's
    ``name`` is the module's qualified name or the pattern, so `lrkit.Scheduler` can give it its
    own schedule by name.

    Args:
        model: the model whose parameters are grouped.
        rates: ``{selector: rate or options}``; None for one group with the default.
        default: the rate (or options) of the parameters no entry matches, in a group called
            ``"default"``; ``{}`` leaves their ``lr`` to the optimizer's default. None: they are
            unassigned (see `unassigned`).
        weight_decay: the weight decay of every decayed group (>= 0); None leaves it to the
            optimizer.
        no_decay: split every group into ``name`` and ``name/no_decay`` (weight decay 0): True
            for the usual rule (`is_no_decay`: biases and norm weights), a callable
            ``rule(name, param, module) -> bool``, or name patterns / modules. None: no split.
        frozen: selectors of parameters to freeze: ``requires_grad=False`` and a group ``"frozen"``
            with lr 0 (modifies the model).
        unassigned: what to do with trainable parameters in no group when `default` is None:
            "error" (the default), "warn" or "ignore" (both leave them out of the optimizer).

    Returns:
        A list of dicts with ``name``, ``params`` and the options, ready for any torch optimizer.

    Raises:
        ValueError: a module without parameters (an ``nn.ReLU``), a pattern that matches nothing,
            an entry whose parameters were all taken by earlier entries, unassigned parameters
            (with ``unassigned="error"``), a negative rate.
        TypeError: a selector or option of the wrong type.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> from lrkit.groups import param_groups
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> groups = param_groups(net, {"0": 1e-4, net[2]: 1e-2})
        >>> [(g["name"], len(g["params"]), g["lr"]) for g in groups]
        [('0', 2, 0.0001), ('2', 2, 0.01)]
        >>> opt = torch.optim.AdamW(groups, lr=1e-3)
    """
    entries: list[tuple[str, Any, dict[str, Any]]] = []
    if rates is not None:
        if not isinstance(rates, Mapping):
            raise fail("param_groups", "rates", rates, "a dict {selector: rate or options}", kind=TypeError)
        for selector, value in rates.items():
            label = describe(model, selector)
            entries.append((label, selector, _options("param_groups", label, value)))
    if rates is None and default is None:
        raise fail("param_groups", "default", default, "a rate when `rates` is not given")
    return _build(
        "param_groups",
        model,
        entries,
        default=default,
        weight_decay=weight_decay,
        no_decay=no_decay,
        frozen=frozen,
        unassigned=unassigned,
    )


def discriminative(
    model: nn.Module,
    rates: Sequence[float],
    *,
    blocks: Sequence[Any] | None = None,
    default: float | Mapping[str, Any] | None = None,
    weight_decay: float | None = None,
    no_decay: Any = None,
    frozen: Any = None,
    unassigned: str = "error",
) -> list[dict[str, Any]]:
    """One group per block, block ``i`` at ``rates[i]`` (discriminative fine-tuning).

    Blocks are ordered from the input to the output; each is a selector (a module, a pattern or a
    list of those). Without `blocks`, `auto_blocks` finds them from the module nesting. Use
    `spread` for fastai's geometric rates and `layerwise` for layer-wise decay. Groups are named
    ``"<i>:<block>"`` (``"0:embed"``, ``"3:head"``).

    Args:
        model: the model.
        rates: one rate (>= 0) per block.
        blocks: the blocks, input first; None for `auto_blocks(model)`.
        default, weight_decay, no_decay, frozen, unassigned: as in `param_groups`.

    Raises:
        ValueError: ``len(rates) != len(blocks)``, and everything `param_groups` raises.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Linear(8, 2))
        >>> groups = discriminative(net, spread(1e-5, 1e-3, 3))
        >>> [(g["name"], round(g["lr"], 12)) for g in groups]
        [('0:0', 1e-05), ('1:2', 0.0001), ('2:3', 0.001)]

    Reference: Howard & Ruder, "Universal Language Model Fine-tuning for Text Classification", 2018.
    """
    chosen = auto_blocks(model) if blocks is None else list(blocks)
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence):
        raise fail("discriminative", "rates", rates, "a list of rates, one per block", kind=TypeError)
    if len(rates) != len(chosen):
        raise fail(
            "discriminative",
            "rates",
            list(rates),
            f"one rate per block ({len(chosen)} blocks: {[describe(model, b) for b in chosen]!r})",
        )
    entries = []
    for i, (block, rate) in enumerate(zip(chosen, rates, strict=True)):
        label = f"{i}:{describe(model, block)}"
        entries.append((label, block, _options("discriminative", label, rate)))
    return _build(
        "discriminative",
        model,
        entries,
        default=default,
        weight_decay=weight_decay,
        no_decay=no_decay,
        frozen=frozen,
        unassigned=unassigned,
    )


def layerwise(
    model: nn.Module,
    rate: float,
    decay: float,
    *,
    blocks: Sequence[Any] | None = None,
    default: float | Mapping[str, Any] | None = None,
    weight_decay: float | None = None,
    no_decay: Any = None,
    frozen: Any = None,
    unassigned: str = "error",
) -> list[dict[str, Any]]:
    """Layer-wise learning-rate decay: block ``i`` at ``rate * decay ** (depth - i)``.

    ``depth = len(blocks) - 1``; block 0 is nearest the input, the last block (the head) gets
    `rate`. Without `blocks`, `auto_blocks` finds them from the module nesting. Groups are named
    ``"<i>:<block>"``.

    Args:
        model: the model.
        rate: the last block's rate, > 0.
        decay: the factor between neighbouring blocks, in (0, 1].
        blocks: the blocks, input first; None for `auto_blocks(model)`.
        default, weight_decay, no_decay, frozen, unassigned: as in `param_groups`.

    Raises:
        ValueError: `rate` or `decay` out of range, and everything `param_groups` raises.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Linear(8, 2))
        >>> [(g["name"], g["lr"]) for g in layerwise(net, 1e-3, 0.5)]
        [('0:0', 0.00025), ('1:2', 0.0005), ('2:3', 0.001)]

    Reference: Clark et al., "ELECTRA", 2020; Bao et al., "BEiT", 2022.
    """
    chosen = auto_blocks(model) if blocks is None else list(blocks)
    if not chosen:
        raise fail("layerwise", "blocks", list(chosen), "a list of at least one block")
    return discriminative(
        model,
        layerwise_rates(rate, decay, len(chosen)),
        blocks=chosen,
        default=default,
        weight_decay=weight_decay,
        no_decay=no_decay,
        frozen=frozen,
        unassigned=unassigned,
    )
