"""accelerate training whose epoch-sized StepLR is passed to prepare()."""

import torch
from accelerate import Accelerator

from project import build_loaders, build_model

accelerator = Accelerator()
model = build_model()
train_loader, val_loader = build_loaders()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
model, optimizer, train_loader, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)

for epoch in range(90):
    model.train()
    for images, labels in train_loader:
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        accelerator.backward(loss)
        optimizer.step()
        optimizer.zero_grad()
    scheduler.step()
