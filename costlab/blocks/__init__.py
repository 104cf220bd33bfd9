"""Block registry and the built-in block families; importing this package registers them."""

from costlab.blocks import basic, conv, mbconv, nasnet, resnet, shuffle  # noqa: F401
from costlab.blocks.context import BuildContext, WidthRounding, make_divisible, scale_channels
from costlab.blocks.registry import BLOCKS, BlockDef, get_block, list_blocks, register_block

__all__ = ["BLOCKS", "BlockDef", "BuildContext", "WidthRounding", "get_block", "list_blocks",
           "make_divisible", "register_block", "scale_channels"]
