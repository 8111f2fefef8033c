"""DDP training where only rank 0 steps the scheduler."""
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
loader = torch.utils.data.DataLoader(torch.randn(512, 16), batch_size=32)

for epoch in range(90):
    for batch in loader:
        loss = model(batch).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    if dist.get_rank() == 0:
        scheduler.step()
        torch.save(model.state_dict(), "model.pt")
