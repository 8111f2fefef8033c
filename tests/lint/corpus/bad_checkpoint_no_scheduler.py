"""A checkpoint helper that forgets the scheduler: resumed runs start the warmup again."""

import torch
from transformers import get_cosine_schedule_with_warmup


def save_checkpoint(path, model, optimizer, step):
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step},
        path,
    )


def train(model, loader, total_steps):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scheduler = get_cosine_schedule_with_warmup(optimizer, 500, total_steps)
    step = 0
    while step < total_steps:
        for batch in loader:
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 1000 == 0:
                save_checkpoint(f"ckpt-{step}.pt", model, optimizer, step)
