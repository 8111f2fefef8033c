"""Logging the learning rate with get_lr(), which is not the rate in use."""

import torch
from torch.utils.tensorboard import SummaryWriter

from project import build_model, get_loader

writer = SummaryWriter("runs/exp1")
model = build_model()
loader = get_loader()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.97)
global_step = 0

for epoch in range(40):
    for batch in loader:
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        global_step += 1
    scheduler.step()
    writer.add_scalar("lr", scheduler.get_lr()[0], epoch)
    writer.add_scalar("loss", loss.item(), epoch)
