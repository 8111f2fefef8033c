"""Mixed precision with GradScaler; the scheduler steps after scaler.step(optimizer)."""

import torch
import torch.nn as nn
from torch.optim import lr_scheduler

from project.data import get_loader
from project.models import UNet

EPOCHS = 40


def main():
    device = torch.device("cuda")
    model = UNet(in_channels=3, classes=2).to(device)
    loader = get_loader("train", batch_size=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * len(loader), eta_min=1e-6)
    scaler = torch.amp.GradScaler("cuda")
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(EPOCHS):
        for images, masks in loader:
            images, masks = images.to(device), masks.to(device)
            optimizer.zero_grad()
            with torch.autocast("cuda", dtype=torch.float16):
                loss = loss_fn(model(images), masks)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
