"""Full-batch training of a small physics-informed net: one update per epoch, OneCycleLR per epoch."""

import torch

EPOCHS = 2000

net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=EPOCHS)
points = torch.rand(4096, 2, requires_grad=True)

for epoch in range(EPOCHS):
    optimizer.zero_grad()
    u = net(points)
    grad = torch.autograd.grad(u.sum(), points, create_graph=True)[0]
    loss = (grad[:, 0] - grad[:, 1]).pow(2).mean() + u[:10].pow(2).mean()
    loss.backward()
    optimizer.step()
    scheduler.step()
    if epoch % 200 == 0:
        print(epoch, loss.item())
