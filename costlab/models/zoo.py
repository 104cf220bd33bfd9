"""Zoo shorthands: `torchvision:NAME`, `timm:NAME` and `hf:ID_OR_DIR`, built without weights.

Nothing is downloaded: torchvision builds with `weights=None`, timm with `pretrained=False`,
Hugging Face from a config (a local directory, or the user's cache). Parameters are created on
the meta device; see `empty_build`.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from costlab.errors import CostlabError, ModelLoadError, OptionError, describe
from costlab.trace.inputs import InputSpec

__all__ = ["ZOOS", "ZooModel", "empty_build", "build_empty", "zoo_of", "build_zoo", "zoo_names",
           "zoo_hint", "hf_cache_dir", "hf_cached_models"]

# The zoo prefixes, and the package each one needs.
ZOOS: dict[str, str] = {"torchvision": "torchvision", "timm": "timm", "hf": "transformers"}


@dataclass(frozen=True, slots=True)
class ZooModel:
    """A zoo model built without weights, the inputs it takes by default (None: it takes no
    image, the user must say) and, for token models, the vocabulary size."""

    module: nn.Module
    inputs: tuple[InputSpec, ...] | None
    vocab_size: int | None = None


@contextlib.contextmanager
def empty_build() -> Iterator[None]:
    """Parameters and buffers go to the meta device as they are registered; every other tensor
    a constructor makes (RegNet's `.int().tolist()` widths) stays on the CPU, so constructors
    that compute still run and nothing proportional to the weights is allocated.

    This is accelerate's `init_empty_weights`, written out because it does not serve as is:
    with `include_buffers` it puts every tensor on meta (what breaks RegNet), and it wraps
    every parameter registered anew, which unties weights tied by assignment (GPT-2's LM
    head, Whisper's output projection); here a tensor already on meta is kept as it is.
    """
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer

    def meta_parameter(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        register_parameter(module, name, param)
        if param is not None and not param.is_meta:
            extra = dict(param.__dict__)   # e.g. transformers' _is_hf_initialized
            moved = type(param)(param.to("meta"), requires_grad=param.requires_grad)
            moved.__dict__.update(extra)
            module._parameters[name] = moved

    def meta_buffer(module: nn.Module, name: str, tensor: torch.Tensor | None,
                    persistent: bool = True) -> None:
        register_buffer(module, name, tensor, persistent)
        if tensor is not None and not tensor.is_meta:
            module._buffers[name] = tensor.to("meta")

    nn.Module.register_parameter = meta_parameter   # type: ignore[method-assign,assignment]
    nn.Module.register_buffer = meta_buffer         # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        nn.Module.register_parameter = register_parameter   # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer         # type: ignore[method-assign]


T = TypeVar("T")


def build_empty(make: Callable[[], T]) -> T:
    """`make()` with nothing proportional to the weights allocated: first with every tensor on
    meta (a 300,000 x 300,000 Linear is never materialized, not even as untouched CPU memory),
    and, when the constructor needs values (RegNet computes its widths), again under
    `empty_build`, where only parameters and buffers go to meta."""
    try:
        with torch.device("meta"), empty_build():
            return make()
    except (RuntimeError, NotImplementedError, ValueError) as exc:
        if "meta" not in str(exc).lower():
            raise
    with empty_build():
        return make()


def zoo_of(model: str) -> str | None:
    """The zoo a MODEL argument names (`torchvision:resnet50` -> torchvision), else None."""
    head, colon, _ = model.partition(":")
    return head if colon and head in ZOOS else None


def _package(zoo: str) -> Any:
    package = ZOOS[zoo]
    try:
        return importlib.import_module(package)
    except ImportError:
        raise ModelLoadError(f"{zoo}: models need the {package!r} package; install it with "
                             f"`pip install {package}`") from None


def zoo_names(zoo: str) -> list[str]:
    """Every model name the zoo lists; for hf, the model ids in the local Hugging Face cache
    that have a config.json (what `hf:ID` can build without a download)."""
    if zoo not in ZOOS:
        raise OptionError(f"unknown zoo {zoo!r}; one of {', '.join(ZOOS)}")
    if zoo == "hf":   # the cache is read without importing transformers (seconds)
        if importlib.util.find_spec(ZOOS[zoo]) is None:
            _package(zoo)   # says what to install
        return hf_cached_models()
    package = _package(zoo)
    if zoo == "torchvision":
        return list(package.models.list_models())
    return list(package.list_models())


def hf_cache_dir() -> str:
    """The Hugging Face hub cache that `hf:ID` reads (HF_HUB_CACHE, else HF_HOME/hub)."""
    from huggingface_hub import constants
    return str(constants.HF_HUB_CACHE)


def hf_cached_models() -> list[str]:
    """Model ids in the hub cache with a config.json in some cached revision, sorted."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound
    try:
        cache = scan_cache_dir(hf_cache_dir())
    except CacheNotFound:
        return []
    return sorted(repo.repo_id for repo in cache.repos if repo.repo_type == "model"
                  and any(f.file_name == "config.json" for r in repo.revisions for f in r.files))


def zoo_hint(name: str) -> str | None:
    """`torchvision:NAME` when the installed torchvision has a model called `name`."""
    try:
        models = importlib.import_module("torchvision.models")
    except ImportError:
        return None
    return f"torchvision:{name}" if name in models.list_models() else None


def build_zoo(model: str, settings: Mapping[str, Any], batch: int) -> ZooModel:
    """Builds `ZOO:NAME` with `settings` as factory arguments (torchvision, timm) or config
    fields (hf). ModelLoadError for a missing package or an unknown name (with close matches).
    """
    zoo, _, name = model.partition(":")
    package = _package(zoo)
    builders: dict[str, Callable[[Any, str, Mapping[str, Any], int], ZooModel]] = {
        "torchvision": _torchvision, "timm": _timm, "hf": _hf}
    try:
        return builders[zoo](package, name, settings, batch)
    except CostlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - a zoo constructor may raise anything
        shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
        raise ModelLoadError(f"building {model}({shown}) failed: {describe(exc)}") from None


def _unknown(zoo: str, name: str, names: list[str]) -> ModelLoadError:
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    hint = f"; close matches: {', '.join(close)}" if close else \
        f"; `costlab list {zoo}` lists them"
    return ModelLoadError(f"{zoo} has no model {name!r}{hint}")


def _image(batch: int, resolution: int, channels: int = 3) -> tuple[InputSpec, ...]:
    return (InputSpec((batch, channels, resolution, resolution)),)


def _torchvision(package: Any, name: str, settings: Mapping[str, Any], batch: int) -> ZooModel:
    """get_model(NAME, weights=None); the default input is the crop size of the DEFAULT weights
    (299 for inception_v3), else 224."""
    models = package.models
    if name not in models.list_models():
        raise _unknown("torchvision", name, models.list_models())
    kwargs = {"weights": None, **{k: v for k, v in settings.items() if k != "resolution"}}
    if "weights_backbone" in inspect.signature(models.get_model_builder(name)).parameters:
        kwargs.setdefault("weights_backbone", None)   # detection: else its backbone downloads
    resolution = settings.get("resolution")
    if resolution is None:
        resolution = 224
        with contextlib.suppress(Exception):   # a model without published weights
            default = models.get_model_weights(name).DEFAULT
            crop = default.transforms.keywords.get("crop_size", 224)   # video: (112, 112)
            resolution = int(crop[0] if isinstance(crop, list | tuple) else crop)
    if name.startswith("vit_"):   # a ViT is built for one size (vit_h_14's weights: 518)
        kwargs.setdefault("image_size", int(resolution))
    with empty_build():
        module = models.get_model(name, **kwargs)
    if name in models.list_models(module=models.video):
        return ZooModel(module, (InputSpec((batch, 3, 16, int(resolution), int(resolution))),))
    return ZooModel(module, _image(batch, int(resolution)))


def _timm(package: Any, name: str, settings: Mapping[str, Any], batch: int) -> ZooModel:
    """timm.create_model(NAME, pretrained=False); the default input is the model's own
    `default_cfg` input size."""
    if not package.is_model(name):
        raise _unknown("timm", name, package.list_models())
    kwargs = {"pretrained": False, **{k: v for k, v in settings.items() if k != "resolution"}}
    with empty_build():
        module = package.create_model(name, **kwargs)
    channels, height, width = module.pretrained_cfg.get("input_size", (3, 224, 224))
    resolution = settings.get("resolution")
    if resolution is not None:
        height = width = int(resolution)
    return ZooModel(module, (InputSpec((batch, channels, height, width)),))


def _hf(package: Any, name: str, settings: Mapping[str, Any], batch: int) -> ZooModel:
    """AutoConfig.from_pretrained(ID_OR_DIR) with the settings as config fields, then the class
    named in `architectures` (else AutoModel) built from that config: no weights are read."""
    fields = {k: v for k, v in settings.items() if k != "resolution"}
    try:
        # local_files_only: nothing is fetched (a missing id fails at once, not after the
        # hub client's retries)
        config = package.AutoConfig.from_pretrained(name, local_files_only=True, **fields)
    except OSError as exc:
        raise ModelLoadError(f"hf: no config for {name!r} in that directory or the local "
                             f"cache (nothing is downloaded): {describe(exc)}") from None
    classes = [getattr(package, arch) for arch in (config.architectures or [])
               if hasattr(package, arch)]
    with empty_build():
        module = classes[0]._from_config(config) if classes else \
            package.AutoModel.from_config(config)
    module.float()   # a config saved in fp16 still counts fp32 bytes, like the other zoos
    main = getattr(module, "main_input_name", "input_ids")
    inputs = None
    if main == "pixel_values":
        size = int(settings.get("resolution") or getattr(config, "image_size", None) or 224)
        inputs = (InputSpec((batch, getattr(config, "num_channels", 3), size, size),
                            name="pixel_values"),)
    return ZooModel(module, inputs, getattr(config, "vocab_size", None))

