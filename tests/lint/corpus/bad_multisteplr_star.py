"""Milestones written in epochs, stepped per iteration, with a star import of the schedulers."""

import torch
from torch.optim.lr_scheduler import *  # noqa: F403

from pose import HRNet, coco_keypoints

max_epochs = 210
model = HRNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = MultiStepLR(optimizer, milestones=[max_epochs * 2 // 3, max_epochs * 9 // 10], gamma=0.1)  # noqa: F405
data_loader = coco_keypoints(batch_size=32)

for epoch in range(max_epochs):
    for i, (img, heatmaps) in enumerate(data_loader):
        loss = ((model(img) - heatmaps) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
