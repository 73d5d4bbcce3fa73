"""Lead scoring's writes: the score with its reasons, the hot/warm/cold and interest tags, the
stage and a detected specialty or city, each change on the doctor's timeline. What an admin
overrode (score, stage) and what the profile already says (specialty, city) is left alone.
The score history is the timeline's "score" events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from surgiai.doctors.models import Doctor, LifecycleStage
from surgiai.doctors.repository import DoctorRepository
from surgiai.doctors.scoring import ENGAGEMENT_PER_READ, OPT_OUT_POINTS, Band, band_of, rescore

log = structlog.get_logger(__name__)

BAND_TAGS = tuple(band.value for band in Band)
# A day's decay rewrites a score only when it moved this much (or changed band): the timeline
# shows the fall, not a line a day.
DECAY_STEP = 5
DECAY_BATCH = 500


class LeadService:
    def update(
        self,
        session: Session,
        doctor: Doctor,
        *,
        score: int | None = None,
        reasons: Mapping[str, int] | None = None,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        specialty: str | None = None,
        city: str | None = None,
        stage: LifecycleStage | None = None,
        cause: str = "message",
        tags: set[str] | None = None,
    ) -> None:
        """Apply what the scorer concluded. `cause` says on the timeline what moved the score
        ("message", "read", "opt_out", "decay"). `tags`: the doctor's tags when the caller has
        read them (they are kept up to date here), else they are read."""
        repository = DoctorRepository(session)
        if score is not None and not doctor.score_overridden:
            self._set_score(repository, doctor, score, dict(reasons or {}), cause)
        current = set(repository.tags_of({doctor.id})[doctor.id]) if tags is None else tags
        added = [tag for tag in dict.fromkeys(add_tags) if tag not in current]
        removed = [tag for tag in dict.fromkeys(remove_tags) if tag in current and tag not in added]
        repository.add_tags(doctor.id, added)
        repository.remove_tags(doctor.id, removed)
        current.update(added)
        current.difference_update(removed)
        for tag in added:
            repository.add_event(doctor.id, "tag_added", {"tag": tag})
        for tag in removed:
            repository.add_event(doctor.id, "tag_removed", {"tag": tag})
        for field, value in (("specialty", specialty), ("city", city)):
            if value and not getattr(doctor, field):
                setattr(doctor, field, value[:100])
                repository.add_event(
                    doctor.id, "profile", {"field": field, "value": value, "source": "detected"}
                )
        if stage is not None and stage != doctor.stage and not doctor.stage_overridden:
            repository.add_event(
                doctor.id, "stage", {"old": doctor.stage.value, "new": stage.value}
            )
            doctor.stage = stage

    def record_reads(self, session: Session, doctors: Sequence[Doctor]) -> None:
        """Each doctor read one of our messages (a doctor twice: two reads): engagement. Their
        tags are read once for all, and nothing is written until the caller's flush."""
        tags = {
            doctor_id: set(found)
            for doctor_id, found in DoctorRepository(session)
            .tags_of({doctor.id for doctor in doctors})
            .items()
        }
        for doctor in doctors:
            if doctor.score_overridden:
                continue
            engagement = int(doctor.score_reasons.get("engagement", 0)) + ENGAGEMENT_PER_READ
            moved = rescore(doctor.score_reasons, set_to={"engagement": engagement})
            self._apply(
                session, doctor, moved.points, moved.reasons, cause="read", tags=tags[doctor.id]
            )

    def record_opt_out(self, session: Session, doctor: Doctor, *, opted_out: bool) -> None:
        """The doctor stopped (or resumed) our marketing, by any path."""
        self._rescore(
            session, doctor, {"opted_out": OPT_OUT_POINTS if opted_out else None}, cause="opt_out"
        )

    def rescore_to(
        self, session: Session, doctor: Doctor, reasons: Mapping[str, int], *, cause: str
    ) -> None:
        """Set the whole breakdown (two records found to be one doctor)."""
        if doctor.score_overridden:
            return
        moved = rescore(reasons)
        self._apply(session, doctor, moved.points, moved.reasons, cause=cause)

    def decay(self, session: Session, now: datetime) -> int:
        """Fade the scores of doctors who went quiet, from their last score change; returns
        how many changed. Run daily."""
        repository = DoctorRepository(session)
        changed = 0
        after_id = 0
        while batch := repository.fading_scores(
            now - timedelta(days=1), after_id=after_id, limit=DECAY_BATCH
        ):
            for doctor, scored_at in batch:
                faded = rescore(doctor.score_reasons, faded_by=now - scored_at)
                moved = abs(faded.points - doctor.lead_score) >= DECAY_STEP
                if moved or band_of(faded.points) != band_of(doctor.lead_score):
                    self._apply(session, doctor, faded.points, faded.reasons, cause="decay")
                    changed += 1
            after_id = batch[-1][0].id
        log.info("doctors.leads.decayed", changed=changed)
        return changed

    def _rescore(
        self, session: Session, doctor: Doctor, set_to: Mapping[str, int | None], *, cause: str
    ) -> None:
        if doctor.score_overridden:
            return
        moved = rescore(doctor.score_reasons, set_to=set_to)
        self._apply(session, doctor, moved.points, moved.reasons, cause=cause)

    def _apply(
        self,
        session: Session,
        doctor: Doctor,
        points: int,
        reasons: dict[str, int],
        *,
        cause: str,
        tags: set[str] | None = None,
    ) -> None:
        band = band_of(points).value
        self.update(
            session,
            doctor,
            score=points,
            reasons=reasons,
            add_tags=[band],
            remove_tags=[tag for tag in BAND_TAGS if tag != band],
            cause=cause,
            tags=tags,
        )

    @staticmethod
    def _set_score(
        repository: DoctorRepository,
        doctor: Doctor,
        score: int,
        reasons: dict[str, int],
        cause: str,
    ) -> None:
        old = doctor.lead_score
        doctor.score_reasons = reasons
        if score != old:
            doctor.lead_score = score
            repository.add_event(
                doctor.id,
                "score",
                {"old": old, "new": score, "reasons": reasons, "cause": cause},
            )


lead_service = LeadService()
