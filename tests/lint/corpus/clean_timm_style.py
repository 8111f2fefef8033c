"""A timm training loop: timm's schedulers take the epoch (and the update count) on purpose."""

import torch
from timm import create_model
from timm.optim import create_optimizer_v2
from timm.scheduler import create_scheduler_v2

model = create_model("resnet50", num_classes=1000)
optimizer = create_optimizer_v2(model, opt="lamb", lr=5e-3, weight_decay=0.02)
lr_scheduler, num_epochs = create_scheduler_v2(optimizer, sched="cosine", num_epochs=300, warmup_epochs=5)
num_updates = 0

for epoch in range(num_epochs):
    for input, target in loader_train:
        loss = torch.nn.functional.cross_entropy(model(input), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        num_updates += 1
        lr_scheduler.step_update(num_updates=num_updates)
    lr_scheduler.step(epoch + 1)
