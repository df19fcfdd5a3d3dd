"""Model architectures compatible with torchvision's."""
