"""Gradient accumulation where the scheduler step was left above the update."""

import torch

from llm import build_model, token_batches

ACCUM_STEPS = 16
MAX_UPDATES = 10_000

model = build_model("125m")
optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 2000))

for micro_step, (inputs, labels) in enumerate(token_batches(seq_len=1024, batch_size=8)):
    loss = model(inputs, labels=labels).loss / ACCUM_STEPS
    loss.backward()
    if (micro_step + 1) % ACCUM_STEPS == 0:
        scheduler.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    if micro_step // ACCUM_STEPS >= MAX_UPDATES:
        break
