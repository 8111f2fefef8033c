"""DCGAN: generator and discriminator, each with its own optimizer and its own scheduler."""

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from gan import Discriminator, Generator, celeba_loader

EPOCHS = 25
netG, netD = Generator(), Discriminator()
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
decay = lambda epoch: 1.0 - max(0, epoch - EPOCHS // 2) / (EPOCHS // 2)  # noqa: E731
schedulerG = LambdaLR(optimizerG, lr_lambda=decay)
schedulerD = LambdaLR(optimizerD, lr_lambda=decay)
criterion = nn.BCEWithLogitsLoss()
dataloader = celeba_loader(128)

for epoch in range(EPOCHS):
    for real, _ in dataloader:
        noise = torch.randn(real.size(0), 100, 1, 1)
        fake = netG(noise)
        optimizerD.zero_grad()
        lossD = criterion(netD(real), torch.ones(real.size(0))) + criterion(
            netD(fake.detach()), torch.zeros(real.size(0))
        )
        lossD.backward()
        optimizerD.step()
        optimizerG.zero_grad()
        lossG = criterion(netD(fake), torch.ones(real.size(0)))
        lossG.backward()
        optimizerG.step()
    schedulerG.step()
    schedulerD.step()
    torch.save(
        {
            "G": netG.state_dict(),
            "D": netD.state_dict(),
            "optG": optimizerG.state_dict(),
            "optD": optimizerD.state_dict(),
            "schedG": schedulerG.state_dict(),
            "schedD": schedulerD.state_dict(),
        },
        f"dcgan_{epoch}.pt",
    )
