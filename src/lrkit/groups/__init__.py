"""Parameter groups made easy and checked: rates by pattern or module, layer-wise decay, freezing.

Every group carries a readable ``name`` (so `lrkit.Scheduler` can give it its own schedule), and
every builder checks what it builds (`check_groups`): empty groups (an ``nn.ReLU``), parameters in
two groups or in none, missing rates, frozen parameters with a rate. `summary` prints the groups.

Imports torch.
"""

from lrkit.groups._build import (
    NORM_LAYERS,
    auto_blocks,
    discriminative,
    is_no_decay,
    layerwise,
    layerwise_rates,
    param_groups,
    spread,
)
from lrkit.groups._check import GroupRow, GroupTable, check_groups, summary
from lrkit.groups._freeze import GradualUnfreezing, freeze, unfreeze

__all__ = [
    "NORM_LAYERS",
    "GradualUnfreezing",
    "GroupRow",
    "GroupTable",
    "auto_blocks",
    "check_groups",
    "discriminative",
    "freeze",
    "is_no_decay",
    "layerwise",
    "layerwise_rates",
    "param_groups",
    "spread",
    "summary",
    "unfreeze",
]
