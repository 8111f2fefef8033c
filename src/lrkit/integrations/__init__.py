"""lrkit inside the trainers people use, and logging of the applied rates.

One module per integration, each importing its library only when imported itself (installing lrkit
never pulls Lightning, transformers or accelerate):

* `lrkit.integrations.lightning`: `scheduler_config` for ``configure_optimizers`` (stepped once per
  optimizer update) and `PlateauCallback`, which feeds plateau phases the monitored metric;
* `lrkit.integrations.transformers`: `PlateauCallback` for transformers' ``Trainer``;
* `lrkit.integrations.accelerate`: `once_per_update`, for a scheduler passed to
  ``accelerator.prepare`` (which otherwise steps it once per process);
* `lrkit.integrations.loggers`: CSV, JSON-lines and TensorBoard logs of the values each update used.

See docs/integrations/.
"""
