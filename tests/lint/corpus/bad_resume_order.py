"""Resume code that builds the scheduler after restoring the optimizer."""

import argparse

import torch
from torch import optim

from project import build_model, train_epoch

parser = argparse.ArgumentParser()
parser.add_argument("--resume", default="")
args = parser.parse_args()

model = build_model()
optimizer = optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.05)
start_epoch = 0
if args.resume:
    ckpt = torch.load(args.resume, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    start_epoch = ckpt["epoch"] + 1
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)

for epoch in range(start_epoch, 100):
    train_epoch(model, optimizer)
    scheduler.step()
    torch.save(
        {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
         "scheduler": scheduler.state_dict()},
        "ckpt.pt",
    )
