"""A script cut off in the middle of an edit: it does not parse."""

import torch

optimizer = torch.optim.SGD(model.parameters(), lr=0.1
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
