"""Pipelines: ordered stages with a default probability, a forecast category and won/lost flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sales_service.domain.base import Aggregate, clean, new_id, utcnow
from sales_service.domain.errors import InvalidValue

FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    position: int
    probability: int
    forecast_category: str
    is_won: bool = False
    is_lost: bool = False

    @property
    def is_open(self) -> bool:
        return not (self.is_won or self.is_lost)


def default_category(probability: int) -> str:
    if probability >= 80:
        return "commit"
    if probability >= 50:
        return "best_case"
    return "pipeline"


def build_stages(specs: list[dict], existing: list[Stage] | None = None) -> list[Stage]:
    """Stages from their specs, in the given order; a spec with an ``id`` keeps that stage."""
    known = {s.id for s in existing or []}
    if not 2 <= len(specs) <= 30:
        raise InvalidValue("a pipeline has 2 to 30 stages")
    stages, names, ids = [], set(), set()
    for position, spec in enumerate(specs, start=1):
        name = clean(spec.get("name"))
        if not name:
            raise InvalidValue(f"stage {position} needs a name")
        if name.casefold() in names:
            raise InvalidValue(f"two stages are called {name}")
        names.add(name.casefold())
        stage_id = spec.get("id")
        if stage_id is not None and stage_id not in known:
            raise InvalidValue(f"stage {stage_id} is not a stage of this pipeline")
        stage_id = stage_id or new_id()
        if stage_id in ids:
            raise InvalidValue(f"stage {stage_id} is listed twice")
        ids.add(stage_id)
        won, lost = bool(spec.get("is_won")), bool(spec.get("is_lost"))
        if won and lost:
            raise InvalidValue(f"stage {name} cannot be won and lost")
        if won:
            probability, category = 100, "closed"
        elif lost:
            probability, category = 0, "omitted"
        else:
            probability = spec.get("probability")
            if probability is None or not 0 <= int(probability) <= 100:
                raise InvalidValue(f"stage {name} needs a probability between 0 and 100")
            probability = int(probability)
            category = spec.get("forecast_category") or default_category(probability)
            if category not in FORECAST_CATEGORIES or category == "closed":
                raise InvalidValue(
                    f"stage {name}: forecast_category must be pipeline, best_case, commit "
                    "or omitted"
                )
        stages.append(Stage(stage_id, name, position, probability, category, won, lost))
    if sum(s.is_won for s in stages) != 1:
        raise InvalidValue("a pipeline has exactly one won stage")
    if not any(s.is_lost for s in stages):
        raise InvalidValue("a pipeline needs a lost stage")
    if not any(s.is_open for s in stages):
        raise InvalidValue("a pipeline needs at least one open stage")
    return stages


@dataclass(eq=False)
class Pipeline(Aggregate):
    id: str
    name: str
    stages: list[Stage]
    is_default: bool = False
    active: bool = True
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def create(cls, name: str, stages: list[dict], is_default: bool = False) -> Pipeline:
        name = clean(name)
        if not name:
            raise InvalidValue("a pipeline needs a name")
        pipeline = cls(id=new_id(), name=name, stages=build_stages(stages), is_default=is_default)
        pipeline.emit("pipeline.created")
        return pipeline

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        changes = dict(changes)
        if "name" in changes:
            changes["name"] = clean(changes["name"])
            if not changes["name"]:
                raise InvalidValue("a pipeline needs a name")
        if "stages" in changes:
            changes["stages"] = build_stages(changes["stages"], self.stages)
        if changes.get("active") is False and (changes.get("is_default") or self.is_default):
            raise InvalidValue("the default pipeline cannot be deactivated; make another default")
        changed = self.apply_changes(changes, ("name", "stages", "is_default", "active"))
        if changed:
            self.updated_at = now or utcnow()
            self.emit("pipeline.updated", changed_fields=changed)
        return changed

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise InvalidValue(f"stage {stage_id} is not a stage of pipeline {self.name}")

    @property
    def first_open_stage(self) -> Stage:
        return next(s for s in self.stages if s.is_open)

    @property
    def won_stage(self) -> Stage:
        return next(s for s in self.stages if s.is_won)

    @property
    def lost_stage(self) -> Stage:
        return next(s for s in self.stages if s.is_lost)
