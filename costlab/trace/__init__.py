"""Run any nn.Module on meta (or real) tensors under a dispatch-mode recorder and return its
ATen ops with the modules that ran them. Knows nothing about cost."""
