"""An older training script with several scheduler problems at once."""

import torch
import torch.optim as optim

from legacy import Model, train_loader, val_loader

model = Model()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60], gamma=0.1)

for epoch in range(90):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
    scheduler.step(epoch=epoch)
    print("epoch", epoch, "lr", scheduler.get_lr())
    state = {"net": model.state_dict(), "opt": optimizer.state_dict(), "epoch": epoch}
    torch.save(state, "checkpoint.pth")
