"""The corpus holds training scripts to be linted, never imported: keep pytest out of it."""

collect_ignore_glob = ["corpus/*"]
