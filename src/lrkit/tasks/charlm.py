"""The bundled language-model task: a small character-level transformer trained with AdamW.

The text is the Python standard library's own source, which ships with every Python installation
(nothing is downloaded): a fixed, sorted list of modules (`TRAIN_FILES`, `VAL_FILES`), read from
``sysconfig.get_paths()["stdlib"]``, never from a directory listing, so the text does not depend
on the file system's order. The vocabulary is fixed too (`VOCAB`: newline and the 95 printable
ASCII characters; a tab becomes four spaces and any other character ``?``), so it does not depend
on the text. The text differs between Python versions: `stdlib_text` reports its SHA-256.

Given the seed, everything is deterministic: the initial weights (``torch.manual_seed(seed)``),
and the training windows, drawn at random from the training text by a generator seeded with the
seed (pass ``k`` over `TextWindows` draws the same windows for every schedule). The validation
set is fixed whatever the seed: the first `VAL_WINDOWS` consecutive windows of the validation text.

Schedules matter here: AdamW at a rate near the edge of stability, where a warmup, a decay to zero
and the shape of the decay each change the validation loss by more than the spread over seeds.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional

from lrkit._validate import check_int, check_number
from lrkit.tasks._task import Batch, Task, TaskError

__all__ = [
    "BATCH_SIZE",
    "CONTEXT",
    "EPOCHS",
    "LR",
    "STEPS_PER_EPOCH",
    "TRAIN_FILES",
    "VAL_FILES",
    "VAL_WINDOWS",
    "VOCAB",
    "CharTransformer",
    "TextWindows",
    "charlm",
    "decode",
    "encode",
    "stdlib_text",
]

#: The vocabulary: newline, then the printable ASCII characters (space to ``~``); 96 tokens.
VOCAB = "\n" + "".join(chr(code) for code in range(32, 127))
_INDEX = {char: index for index, char in enumerate(VOCAB)}
_UNKNOWN = _INDEX["?"]

#: Standard-library modules whose source is the training text (in this order).
TRAIN_FILES = (
    "argparse.py",
    "calendar.py",
    "configparser.py",
    "dataclasses.py",
    "fractions.py",
    "functools.py",
    "random.py",
    "shutil.py",
    "statistics.py",
    "threading.py",
)
#: Standard-library modules whose source is the validation text (in this order).
VAL_FILES = ("heapq.py", "textwrap.py")

#: Characters per window (the model's context); each window predicts its next characters.
CONTEXT = 32
#: Windows per training batch.
BATCH_SIZE = 32
#: Updates per epoch: an "epoch" of this task is an evaluation interval, not a pass over the text.
STEPS_PER_EPOCH = 25
#: Epochs of the default race (500 updates, the validation loss measured 20 times).
EPOCHS = 20
#: Validation windows (of `CONTEXT` characters): 128 x 32 = 4,096 predicted characters.
VAL_WINDOWS = 128
#: Base learning rate of AdamW (betas 0.9, 0.99; weight decay 0.1).
LR = 3e-2


def encode(text: str) -> torch.Tensor:
    """Token ids (int64) of `text` in `VOCAB`: a tab is four spaces, an unknown character ``?``.

    Example:
        >>> encode("a\\tb") .tolist() == encode("a    b").tolist()
        True
        >>> decode(encode("héllo"))
        'h?llo'
    """
    text = text.replace("\t", "    ")
    return torch.tensor([_INDEX.get(char, _UNKNOWN) for char in text], dtype=torch.int64)


def decode(tokens: torch.Tensor) -> str:
    """The text of token ids (the inverse of `encode` on text made of `VOCAB`)."""
    return "".join(VOCAB[int(token)] for token in tokens)


@functools.cache
def stdlib_text() -> tuple[torch.Tensor, torch.Tensor, str]:
    """``(train_tokens, val_tokens, sha256)``: the encoded source of `TRAIN_FILES` and `VAL_FILES`.

    Files are joined with a newline. The digest covers both texts (it changes with the Python
    version's standard library, and says which text a result was trained on).

    Raises:
        TaskError: a file is missing (a Python installed without its standard library's source).

    Example:
        >>> train, val, digest = stdlib_text()
        >>> len(train) > 300_000 and len(val) > 4096 and len(digest)
        64
    """
    folder = Path(sysconfig.get_paths()["stdlib"])
    texts = []
    for names in (TRAIN_FILES, VAL_FILES):
        parts = []
        for name in names:
            path = folder / name
            try:
                parts.append(path.read_text(encoding="utf-8"))
            except OSError as error:
                raise TaskError(
                    f"task 'charlm' reads the standard library's source, but {name} cannot be read "
                    f"from {str(folder)!r}: {error.strerror or error}"
                ) from None
        texts.append("\n".join(parts))
    digest = hashlib.sha256("\0".join(texts).encode("utf-8")).hexdigest()
    return encode(texts[0]), encode(texts[1]), digest


class TextWindows:
    """A re-iterable loader of `batches` random windows of a token sequence per pass.

    Each batch is ``(inputs, targets)`` of shape ``(batch_size, context)``; ``targets`` is
    ``inputs`` shifted by one character. The window starts come from a generator seeded with
    `seed`: pass ``k`` draws the same windows in every copy built with the same arguments.

    Example:
        >>> import torch
        >>> windows = TextWindows(torch.arange(100), batches=2, batch_size=3, context=4, seed=0)
        >>> x, y = next(iter(windows))
        >>> len(windows), tuple(x.shape), bool((y[:, :-1] == x[:, 1:]).all())
        (2, (3, 4), True)
    """

    def __init__(
        self, tokens: torch.Tensor, *, batches: int, batch_size: int, context: int, seed: int
    ) -> None:
        self.tokens = tokens
        self.batches = check_int("TextWindows", "batches", batches, low=1)
        self.batch_size = check_int("TextWindows", "batch_size", batch_size, low=1)
        self.context = check_int("TextWindows", "context", context, low=1)
        if len(tokens) < context + 2:
            raise ValueError(
                f"Argument `tokens` of TextWindows() must hold more than context + 1 = {context + 1} "
                f"tokens. Received: {len(tokens)} tokens"
            )
        self.generator = torch.Generator().manual_seed(check_int("TextWindows", "seed", seed))
        self._offsets = torch.arange(context + 1)

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[Batch]:
        high = len(self.tokens) - self.context - 1
        starts = torch.randint(0, high, (self.batches, self.batch_size), generator=self.generator)
        for row in starts:
            windows = self.tokens[row[:, None] + self._offsets]
            yield windows[:, :-1], windows[:, 1:]


def _val_batches(tokens: torch.Tensor, windows: int, context: int) -> list[Batch]:
    """The first `windows` consecutive windows of `tokens`, in batches of 64."""
    if len(tokens) < windows * context + 1:
        raise TaskError(
            f"the validation text holds {len(tokens)} characters, fewer than {windows * context + 1}"
        )
    inputs = tokens[: windows * context].view(windows, context)
    targets = tokens[1 : windows * context + 1].view(windows, context)
    return [(inputs[i : i + 64], targets[i : i + 64]) for i in range(0, windows, 64)]


class _Block(nn.Module):
    """Pre-norm transformer block: causal self-attention, then a 4x MLP with GELU."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        qkv = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, width // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attended = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, length, width))
        out: torch.Tensor = x + self.mlp(self.norm2(x))
        return out


class CharTransformer(nn.Module):
    """A small causal transformer over characters: logits ``(N, T, vocab)`` for tokens ``(N, T)``.

    Token and learned position embeddings, `layers` pre-norm blocks, a final LayerNorm and a linear
    head. The default (width 64, 2 layers, 4 heads, context 32, 96 tokens) has 114,528 parameters.

    Example:
        >>> import torch
        >>> model = CharTransformer()
        >>> tuple(model(torch.zeros(2, 5, dtype=torch.long)).shape)
        (2, 5, 96)
    """

    def __init__(
        self,
        vocab: int = len(VOCAB),
        *,
        width: int = 64,
        layers: int = 2,
        heads: int = 4,
        context: int = CONTEXT,
    ) -> None:
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, width)
        self.position = nn.Parameter(torch.randn(context, width) * 0.02)
        self.blocks = nn.Sequential(*[_Block(width, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden = self.embed(tokens) + self.position[: tokens.shape[1]]
        logits: torch.Tensor = self.head(self.norm(self.blocks(hidden)))
        return logits


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats per character) of logits ``(N, T, V)`` against targets ``(N, T)``."""
    return functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _make_adamw(model: nn.Module, *, lr: float) -> torch.optim.Optimizer:
    decay = [p for name, p in model.named_parameters() if p.dim() >= 2 and "position" not in name]
    rest = [p for name, p in model.named_parameters() if not (p.dim() >= 2 and "position" not in name)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.99),
    )


def charlm(
    seed: int = 0,
    *,
    lr: float = LR,
    batch_size: int = BATCH_SIZE,
    steps_per_epoch: int = STEPS_PER_EPOCH,
) -> Task:
    """The character-level language model on the standard library's source (AdamW, cross-entropy).

    `CharTransformer` (114,528 parameters), AdamW (betas 0.9, 0.99; weight decay 0.1 on the
    matrices and embeddings, none on biases, norms and positions), batches of `batch_size` random
    windows of `CONTEXT` characters, `steps_per_epoch` updates between two evaluations of the
    validation loss (nats per character, over `VAL_WINDOWS` x `CONTEXT` = 4,096 characters) and
    accuracy (the next character's argmax). The task suggests `EPOCHS` epochs.

    Args:
        seed: sets the initial weights and the training windows, an int >= 0.
        lr: AdamW's base rate, a finite float > 0. Default `LR`.
        batch_size: windows per batch, an int >= 1. Default `BATCH_SIZE`.
        steps_per_epoch: updates between two evaluations, an int >= 1. Default `STEPS_PER_EPOCH`.

    Raises:
        ValueError: an argument out of range.
        TaskError: the standard library's source cannot be read.

    Example:
        >>> task = charlm(seed=0)
        >>> x, y = next(iter(task.train))
        >>> loss = float(task.loss(task.model(x), y).detach())
        >>> tuple(x.shape), abs(loss - UNIFORM_LOSS) < 0.5  # untrained: close to a uniform guess
        ((32, 32), True)
    """
    seed = check_int("charlm", "seed", seed)
    lr = check_number("charlm", "lr", lr, low=0.0, low_open=True)
    batch_size = check_int("charlm", "batch_size", batch_size, low=1)
    steps_per_epoch = check_int("charlm", "steps_per_epoch", steps_per_epoch, low=1)
    train_tokens, val_tokens, _ = stdlib_text()
    torch.manual_seed(seed)
    model = CharTransformer()
    return Task(
        model=model,
        optimizer=functools.partial(_make_adamw, lr=lr),
        train=TextWindows(
            train_tokens, batches=steps_per_epoch, batch_size=batch_size, context=CONTEXT, seed=seed
        ),
        val=_val_batches(val_tokens, VAL_WINDOWS, CONTEXT),
        loss=lm_loss,
        name="charlm",
        epochs=EPOCHS,
    )


#: ``log(96)``: the loss of a uniform guess over the vocabulary, for reference.
UNIFORM_LOSS = math.log(len(VOCAB))
