"""Market-research surveys: the questionnaire, answer validation and per-question results.

Question types: ``single_choice`` (one option), ``multiple_choice`` (any number of options),
``scale`` (an integer between ``scale_min`` and ``scale_max``, 1-5 by default), ``nps`` (0-10,
"how likely are you to recommend ...") and ``text`` (free text up to ``max_length``).

A survey is ``draft`` while it is written, ``open`` while it takes answers and ``closed`` after.
Its questions can change only until the first response arrives (results would mix wordings).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from campaign_service.domain import events
from campaign_service.domain.errors import InvalidValue, StateConflict
from servicekit.domain import EventRecorder

QUESTION_TYPES = ("single_choice", "multiple_choice", "scale", "nps", "text")
CHOICE_TYPES = ("single_choice", "multiple_choice")
STATUSES = ("draft", "open", "closed")
MAX_QUESTIONS = 50
MAX_OPTIONS = 30
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_ONE_PLACE = Decimal("0.1")
_TWO_PLACES = Decimal("0.01")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str
    required: bool = False
    options: tuple[Option, ...] = ()
    scale_min: int | None = None
    scale_max: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    max_length: int | None = None
    help_text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.id,
            "type": self.type,
            "text": self.text,
            "required": self.required,
            "options": [{"option_id": o.id, "label": o.label} for o in self.options],
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "min_label": self.min_label,
            "max_label": self.max_label,
            "max_length": self.max_length,
            "help_text": self.help_text,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Question:
        return cls(
            id=data["question_id"],
            type=data["type"],
            text=data["text"],
            required=bool(data.get("required")),
            options=tuple(Option(o["option_id"], o["label"]) for o in data.get("options") or []),
            scale_min=data.get("scale_min"),
            scale_max=data.get("scale_max"),
            min_label=data.get("min_label"),
            max_label=data.get("max_label"),
            max_length=data.get("max_length"),
            help_text=data.get("help_text"),
        )


def build_questions(items: list[dict]) -> list[Question]:
    if not items:
        raise InvalidValue("a survey needs at least one question")
    if len(items) > MAX_QUESTIONS:
        raise InvalidValue(f"at most {MAX_QUESTIONS} questions")
    questions, ids = [], set()
    for n, item in enumerate(items, start=1):
        where = f"questions.{n - 1}"
        qid = (item.get("question_id") or f"q{n}").strip().lower()
        if not _ID.match(qid):
            raise InvalidValue(f"{where}.question_id: use a-z, 0-9, '_' and '-' (1-40)")
        if qid in ids:
            raise InvalidValue(f"{where}.question_id {qid!r} is used twice")
        ids.add(qid)
        kind = item.get("type")
        if kind not in QUESTION_TYPES:
            raise InvalidValue(f"{where}.type must be one of {', '.join(QUESTION_TYPES)}")
        text = (item.get("text") or "").strip()
        if not text:
            raise InvalidValue(f"{where}.text is required")
        options: list[Option] = []
        raw_options = item.get("options") or []
        if kind in CHOICE_TYPES:
            if not 2 <= len(raw_options) <= MAX_OPTIONS:
                raise InvalidValue(f"{where}: a choice question has 2-{MAX_OPTIONS} options")
            option_ids = set()
            for m, option in enumerate(raw_options, start=1):
                oid = (option.get("option_id") or f"o{m}").strip().lower()
                label = (option.get("label") or "").strip()
                if not _ID.match(oid) or oid in option_ids:
                    raise InvalidValue(f"{where}.options.{m - 1}.option_id is invalid or repeated")
                if not label:
                    raise InvalidValue(f"{where}.options.{m - 1}.label is required")
                option_ids.add(oid)
                options.append(Option(oid, label))
        elif raw_options:
            raise InvalidValue(f"{where}: only choice questions have options")
        scale_min = scale_max = max_length = None
        if kind == "scale":
            scale_min = item.get("scale_min", 1) if item.get("scale_min") is not None else 1
            scale_max = item.get("scale_max", 5) if item.get("scale_max") is not None else 5
            if not (0 <= scale_min <= 1 and 2 <= scale_max <= 10):
                raise InvalidValue(f"{where}: a scale runs from 0 or 1 up to 2-10")
        elif kind == "nps":
            scale_min, scale_max = 0, 10
        elif item.get("scale_min") is not None or item.get("scale_max") is not None:
            raise InvalidValue(f"{where}: only scale questions have scale_min/scale_max")
        if kind == "text":
            max_length = item.get("max_length") or 2000
            if not 1 <= max_length <= 5000:
                raise InvalidValue(f"{where}.max_length must be 1-5000")
        questions.append(
            Question(
                id=qid,
                type=kind,
                text=text,
                required=bool(item.get("required", False)),
                options=tuple(options),
                scale_min=scale_min,
                scale_max=scale_max,
                min_label=(item.get("min_label") or None) if kind in ("scale", "nps") else None,
                max_label=(item.get("max_label") or None) if kind in ("scale", "nps") else None,
                max_length=max_length,
                help_text=(item.get("help_text") or "").strip() or None,
            )
        )
    return questions


@dataclass(eq=False)
class Survey(EventRecorder):
    id: str
    name: str
    questions: list[Question]
    description: str | None = None
    intro: str | None = None
    thank_you: str | None = None
    language: str = "en"
    status: str = "draft"
    responses: int = 0
    version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    created_by: str | None = None

    @classmethod
    def create(cls, *, created_by: str | None = None, **data: Any) -> Survey:
        now = utcnow()
        survey = cls(
            id=str(uuid.uuid4()),
            name="",
            questions=[],
            created_at=now,
            updated_at=now,
            created_by=created_by,
            version=1,
        )
        survey._apply(data, creating=True)
        return survey

    def update(self, changes: dict[str, Any]) -> list[str]:
        if self.status == "closed":
            raise StateConflict("a closed survey cannot change")
        if "questions" in changes and self.responses:
            raise StateConflict("questions cannot change once answers came in")
        before = self._snapshot()
        self._apply(changes, creating=False)
        changed = [k for k, v in self._snapshot().items() if before[k] != v]
        if changed:
            self.updated_at = utcnow()
            if self.status == "open":
                self.record(events.SurveyPublished(self))
        return changed

    def _apply(self, data: dict[str, Any], *, creating: bool) -> None:
        if "name" in data or creating:
            name = (data.get("name") or "").strip()
            if not name:
                raise InvalidValue("name is required")
            self.name = name[:200]
        for key in ("description", "intro", "thank_you"):
            if key in data:
                setattr(self, key, (data[key] or "").strip() or None)
        if data.get("language"):
            self.language = data["language"]
        if "questions" in data or creating:
            self.questions = build_questions(data.get("questions") or [])

    def _snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "intro": self.intro,
            "thank_you": self.thank_you,
            "language": self.language,
            "questions": list(self.questions),
        }

    def open(self) -> None:
        if self.status != "draft":
            raise StateConflict(f"only a draft survey can open (it is {self.status})")
        self.status = "open"
        self.opened_at = self.updated_at = utcnow()
        self.record(events.SurveyPublished(self))

    def close(self) -> None:
        if self.status != "open":
            raise StateConflict(f"only an open survey can close (it is {self.status})")
        self.status = "closed"
        self.closed_at = self.updated_at = utcnow()
        self.record(events.SurveyPublished(self))

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def field_name(question: Question) -> str:
    """The HTML form field carrying a question's answer."""
    return f"q_{question.id}"


def parse_answers(
    questions: list[Question], form: dict[str, list[str]]
) -> tuple[list[dict], dict[str, str]]:
    """Validate submitted form values; ``(answers, errors by question id)``."""
    answers: list[dict] = []
    errors: dict[str, str] = {}
    for q in questions:
        values = [v.strip() for v in form.get(field_name(q), []) if v is not None]
        values = [v for v in values if v != ""]
        if not values:
            if q.required:
                errors[q.id] = "Please answer this question."
            continue
        answer = {
            "question_id": q.id,
            "type": q.type,
            "option_ids": None,
            "number": None,
            "text": None,
        }
        if q.type in CHOICE_TYPES:
            valid = {o.id for o in q.options}
            chosen = list(dict.fromkeys(values))
            if any(v not in valid for v in chosen):
                errors[q.id] = "Choose from the options shown."
                continue
            if q.type == "single_choice" and len(chosen) != 1:
                errors[q.id] = "Choose one option."
                continue
            answer["option_ids"] = chosen
        elif q.type in ("scale", "nps"):
            if len(values) != 1 or not re.fullmatch(r"-?\d{1,3}", values[0]):
                errors[q.id] = "Choose one number."
                continue
            number = int(values[0])
            if not q.scale_min <= number <= q.scale_max:
                errors[q.id] = f"Choose a number from {q.scale_min} to {q.scale_max}."
                continue
            answer["number"] = number
        else:
            text = "\n".join(values)
            if len(text) > (q.max_length or 2000):
                errors[q.id] = f"Please keep it under {q.max_length} characters."
                continue
            answer["text"] = text
        answers.append(answer)
    return answers, errors


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_ONE_PLACE, rounding=ROUND_HALF_EVEN)


def nps_score(numbers: list[int]) -> dict[str, Any]:
    """Promoters answer 9-10, passives 7-8, detractors 0-6; NPS = %promoters - %detractors."""
    promoters = sum(1 for n in numbers if n >= 9)
    detractors = sum(1 for n in numbers if n <= 6)
    passives = len(numbers) - promoters - detractors
    score = (
        (Decimal(promoters - detractors) * 100 / Decimal(len(numbers))).quantize(
            _ONE_PLACE, rounding=ROUND_HALF_EVEN
        )
        if numbers
        else None
    )
    return {
        "score": score,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
    }


def aggregate(
    questions: list[Question],
    responses: list[tuple[datetime, list[dict]]],
    *,
    text_limit: int = 200,
) -> list[dict[str, Any]]:
    """Per-question results over ``responses`` (``(answered_at, answers)`` pairs)."""
    total = len(responses)
    by_question: dict[str, list[tuple[datetime, dict]]] = {q.id: [] for q in questions}
    for answered_at, answers in responses:
        for answer in answers:
            if answer.get("question_id") in by_question:
                by_question[answer["question_id"]].append((answered_at, answer))
    results = []
    for q in questions:
        given = by_question[q.id]
        item: dict[str, Any] = {
            "question_id": q.id,
            "type": q.type,
            "text": q.text,
            "answered": len(given),
            "skipped": total - len(given),
        }
        if q.type in CHOICE_TYPES:
            counts = Counter(oid for _, a in given for oid in a.get("option_ids") or [])
            item["options"] = [
                {
                    "option_id": o.id,
                    "label": o.label,
                    "count": counts.get(o.id, 0),
                    "percent": _percent(counts.get(o.id, 0), len(given)),
                }
                for o in q.options
            ]
        elif q.type in ("scale", "nps"):
            numbers = [a["number"] for _, a in given if a.get("number") is not None]
            counts = Counter(numbers)
            item["average"] = (
                (Decimal(sum(numbers)) / Decimal(len(numbers))).quantize(
                    _TWO_PLACES, rounding=ROUND_HALF_EVEN
                )
                if numbers
                else None
            )
            item["distribution"] = [
                {"value": v, "count": counts.get(v, 0)} for v in range(q.scale_min, q.scale_max + 1)
            ]
            if q.type == "nps":
                item["nps"] = nps_score(numbers)
        else:
            texts = sorted(
                ((at, a["text"]) for at, a in given if a.get("text")),
                key=lambda pair: pair[0],
                reverse=True,
            )
            item["text_answers"] = [{"text": t, "answered_at": at} for at, t in texts[:text_limit]]
            item["text_total"] = len(texts)
        results.append(item)
    return results
