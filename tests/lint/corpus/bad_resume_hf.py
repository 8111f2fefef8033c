"""Resuming a transformers-style loop: the warmup schedule is rebuilt after the optimizer is restored."""

import os

import torch
from transformers import get_linear_schedule_with_warmup


def resume(model, output_dir, num_training_steps):
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    if os.path.isfile(os.path.join(output_dir, "optimizer.pt")):
        optimizer.load_state_dict(torch.load(os.path.join(output_dir, "optimizer.pt")))
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, num_training_steps)
    if os.path.isfile(os.path.join(output_dir, "scheduler.pt")):
        scheduler.load_state_dict(torch.load(os.path.join(output_dir, "scheduler.pt")))
    return optimizer, scheduler
