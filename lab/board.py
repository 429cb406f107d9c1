"""The class board's model: every run the students submitted, simulated and labelled as on the sweep page.

No Streamlit here. A submitted run is the question's view with the student's
values (``lab.room.answered_view``); its Run 1 is simulated as the sweep page
simulates (every ``sweep.record_every``-th step recorded, and the last
``outcomes.TAIL`` steps one by one) and labelled with
``optimizers.outcomes.label``: converged, oscillating, still moving or
diverged. Students who chose the same values give the same run: each distinct
answer is simulated once (``AnswerCache``).
"""
from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from dataclasses import dataclass

import numpy as np

import optimizers
from optimizers import outcomes

from .playground import view_from_link
from .results import ResultCache
from .room import Question, answered_view
from .sweep import LABEL_TEXT, TAIL, label_text, record_every

CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell that starts with these


@dataclass(frozen=True, eq=False)
class Answer:
    """Run 1 of one answered view, simulated."""
    outcome: str  # one of optimizers.outcomes.OUTCOMES
    final_loss: float  # L at the last good point
    diverged_at: int  # −1, or the step at which the engine stopped the run
    path: np.ndarray  # (N, 2): the recorded points up to the last good one, all finite


@dataclass(frozen=True, eq=False)
class Entry:
    """One submitted run on the board."""
    id: int
    at: float
    name: str  # as typed (shown as text only)
    student: str  # a short tag of the submitting session ("#3fa2"): tells runs apart without naming anyone
    values: dict  # {key: link text} of the question's settings
    answer: Answer | None  # None when the stored values no longer make a run (see ``problem``)
    problem: str = ""


def simulate_answer(question: Question, values: dict) -> Answer:
    """Simulate Run 1 of the view that ``values`` answer ``question`` with, and label what it did."""
    view = view_from_link(answered_view(question, values))
    spec = view.runs[0]
    surface = view.build_surface()
    steps = int(view.steps)
    traj = optimizers.simulate(surface, spec.build_optimizer(), view.start_point(), steps,
                               schedule=spec.build_schedule(), noise=spec.noise or None, seed=spec.seed,
                               record=("path",), every=record_every(steps), tail=min(TAIL, steps))
    label = str(outcomes.label(surface, traj, tail=TAIL)[0])
    diverged = int(traj.diverged_at[0])
    path = traj.path[0] if diverged < 0 else traj.path[0][traj.steps < diverged]
    path = path[np.isfinite(path).all(axis=1)]
    return Answer(label, float(traj.final_loss[0]), diverged, np.ascontiguousarray(path))


def answer_key(question: Question, values: dict) -> tuple:
    return question.query, tuple(sorted(values.items()))


def AnswerCache(max_entries: int = 4096, max_bytes: int = 256 * 2**20) -> ResultCache:
    """Simulated answers by (question view, values), least recently used dropped (one per server process)."""
    return ResultCache(lambda item, progress=None: simulate_answer(*item), key=lambda item: answer_key(*item),
                       size=lambda answer: answer.path.nbytes, max_entries=max_entries, max_bytes=max_bytes)


def student_tag(submitter: str) -> str:
    """"#3fa2": four hex digits of a hash of the session's random id, to tell one session's runs apart."""
    return "#" + hashlib.sha256(str(submitter).encode()).hexdigest()[:4]


def entries(question: Question, runs, cache: ResultCache, question_version: int, progress=None) -> list[Entry]:
    """The runs that answer ``question`` (version ``question_version``), oldest first, each simulated
    (from ``cache`` where it was before). ``progress``: optional callable(fraction) while simulating."""
    mine = [r for r in runs if r.question_version == question_version]
    out = []
    for i, run in enumerate(mine):
        try:
            raw = json.loads(run.params)
            values = {k: str(raw[k]) for k in question.keys}
            answer = cache.run((question, values))
            problem = ""
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            values, answer, problem = {}, None, str(exc)[:200]
        out.append(Entry(run.id, run.at, run.name, student_tag(run.submitter), values, answer, problem))
        if progress is not None and i % 16 == 15:
            progress((i + 1) / len(mine))
    return out


def counts(board: list[Entry]) -> dict[str, int]:
    """{outcome: runs} in the order of optimizers.outcomes.OUTCOMES."""
    found = {label: 0 for label in outcomes.OUTCOMES}
    for entry in board:
        if entry.answer is not None:
            found[entry.answer.outcome] += 1
    return found


def numeric(question: Question, key: str, board: list[Entry]) -> np.ndarray | None:
    """The values of setting ``key`` on the board as numbers (NaN for a run without one), or None when the
    setting is not numeric (an optimizer's name, a switch)."""
    field = question.field(key)
    values = []
    for entry in board:
        raw = entry.values.get(key)
        try:
            value = field.parse(raw) if raw is not None else None
        except ValueError:
            value = None
        if isinstance(value, bool) or (value is not None and not isinstance(value, (int, float))):
            return None
        values.append(np.nan if value is None else float(value))
    return np.asarray(values, dtype=np.float64)


# ----------------------------------------------------------------- table and CSV
COLUMN_KEYS = ("run", "name", "student", "time", "outcome", "final_loss", "diverged_at")  # [board.column]


def _clock(at: float) -> str:
    return datetime.datetime.fromtimestamp(at).strftime("%H:%M:%S")


def table(question: Question, board: list[Entry], column_names: dict, lang: str = "en") -> dict[str, list]:
    """Columns for st.dataframe: the run's number, name, student tag, time, each asked setting (by its label),
    outcome (in ``lang``), final loss, the step it diverged at. ``column_names``: {column key: heading}."""
    head = [column_names[k] for k in COLUMN_KEYS[:4]]
    tail = [column_names[k] for k in COLUMN_KEYS[4:]]
    labels = [question.label(k) for k in question.keys]
    cols = {c: [] for c in head + labels + tail}
    for entry in board:
        for c, v in zip(head, (entry.id, entry.name, entry.student, _clock(entry.at))):
            cols[c].append(v)
        for c, k in zip(labels, question.keys):
            cols[c].append(entry.values.get(k, ""))
        a = entry.answer
        cols[tail[0]].append(label_text(a.outcome, lang) if a else entry.problem)
        cols[tail[1]].append(a.final_loss if a else None)
        cols[tail[2]].append(f"{a.diverged_at:,}" if a and a.diverged_at >= 0 else "")
    return cols


def safe_cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet shows as text (a leading = + - @ would make it a formula)."""
    text = str(text)
    return "'" + text if text.startswith(CSV_FORMULA) else text


def to_csv(question: Question, board: list[Entry]) -> str:
    """The board as CSV: one row per run, the asked settings by key, numbers at full precision."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    buf.write(f"# question: {safe_cell(question.text)}\n# page: {question.page}\n"
              f"# view: {'&'.join(f'{k}={v}' for k, v in question.query)}\n")
    writer.writerow(["run", "name", "student", "submitted_utc", *question.keys, "outcome", "final_loss",
                     "diverged_at_step"])
    for entry in board:
        a = entry.answer
        when = datetime.datetime.fromtimestamp(entry.at, datetime.timezone.utc).isoformat(timespec="seconds")
        writer.writerow([entry.id, safe_cell(entry.name), entry.student, when,
                         *(safe_cell(entry.values.get(k, "")) for k in question.keys),
                         LABEL_TEXT[a.outcome] if a else "unreadable", repr(a.final_loss) if a else "",
                         a.diverged_at if a and a.diverged_at >= 0 else ""])
    return buf.getvalue()
