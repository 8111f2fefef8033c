"""A step-based loop (no epochs) with periodic checkpoints that keep the scheduler's state."""

import os

import torch
from torch.optim.lr_scheduler import LambdaLR

from llm import GPT, batches

max_steps = 50_000
warmup_steps = 2_000
ckpt_path = "ckpt/latest.pt"

model = GPT(n_layer=12, n_head=12, n_embd=768)
optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)
scheduler = LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup_steps))
step = 0
if os.path.exists(ckpt_path):
    checkpoint = torch.load(ckpt_path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    step = checkpoint["step"]

data = batches(split="train", batch_size=12, block_size=1024)
while step < max_steps:
    x, y = next(data)
    _, loss = model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    step += 1
    if step % 1000 == 0:
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
            },
            ckpt_path,
        )
