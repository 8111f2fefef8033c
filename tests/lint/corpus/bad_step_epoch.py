"""Passing the epoch to step(): deprecated, and a different code path from step()."""

import torch
from torch.optim.lr_scheduler import MultiStepLR

from detection import build_detector, coco_loader

model = build_detector("retinanet_r50")
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
scheduler = MultiStepLR(optimizer, milestones=[8, 11], gamma=0.1)
loader = coco_loader(batch_size=16)

for epoch in range(12):
    for images, targets in loader:
        losses = model(images, targets)
        loss = sum(losses.values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step(epoch)
