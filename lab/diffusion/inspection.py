"""Counting the pipeline's networks (homework exercise 1.3.1)."""

from __future__ import annotations

from dataclasses import dataclass

from lab.diffusion.components import COURSE_TABLE, build_sd14, count

MODULE_COUNT_NOTE = (
    "Module counts depend on how a library version splits a layer into submodules (diffusers and "
    "transformers have since added, merged and renamed wrapper modules such as attention "
    "processors, dropout and activation modules), so they differ from the course's while every "
    "parameter tensor and scalar is the same: the architecture is unchanged.")


@dataclass
class ComponentCount:
    """One network's counts: submodules, parameter tensors, scalar parameters."""

    name: str
    type_name: str
    modules: int
    tensors: int
    scalars: int

    def course(self) -> tuple[int, int, int] | None:
        """The course's (modules, tensors, scalars) for this component, if it has a row."""
        return COURSE_TABLE.get(self.name)

    def matches_course(self) -> bool:
        """Whether the tensor and scalar counts equal the course's (module counts vary by version)."""
        course = self.course()
        return course is not None and (self.tensors, self.scalars) == course[1:]


def inspect_modules(modules: dict) -> list[ComponentCount]:
    """The counts of each named module."""
    return [ComponentCount(name, type(m).__name__, *count(m)) for name, m in modules.items()]


def inspect_sd14() -> list[ComponentCount]:
    """v1.4 built from its config on the meta device: exact counts, no weights, no download."""
    return inspect_modules(build_sd14("meta"))


def inspect_pipeline(pipe) -> list[ComponentCount]:
    """The counts of every network a loaded pipeline holds."""
    import torch

    return inspect_modules({name: m for name, m in vars(pipe).items()
                            if isinstance(m, torch.nn.Module)})
