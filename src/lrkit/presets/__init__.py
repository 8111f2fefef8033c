"""Other libraries' schedules by their own names, as compositions of lrkit's core.

Importing this package registers every preset in the spec language (`lrkit.parse`) and for
`lrkit.from_config`; `lrkit.config` imports it, so users never need to.
"""

from lrkit.presets import (
    fvcore,
    keras,
    megatron,
    optax,
    pytorch,
    timm,
    timm_factory,
    transformers,
    transformers_functions,
)

__all__ = [
    "fvcore",
    "keras",
    "megatron",
    "optax",
    "pytorch",
    "timm",
    "timm_factory",
    "transformers",
    "transformers_functions",
]
