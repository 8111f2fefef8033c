"""Cosine annealing with a T_max left over from a shorter experiment: it restarts halfway."""

import torch
import torch.optim as optim

from nets import WideResNet
from loaders import cifar100_loaders

EPOCHS = 200
COSINE_PERIOD = 100


def main():
    model = WideResNet(depth=28, widen_factor=10, num_classes=100).cuda()
    train_loader, test_loader = cifar100_loaders(batch_size=128)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=COSINE_PERIOD)
    for epoch in range(EPOCHS):
        model.train()
        for x, y in train_loader:
            x, y = x.cuda(), y.cuda()
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        scheduler.step()
        print(epoch, scheduler.get_last_lr())


main()
