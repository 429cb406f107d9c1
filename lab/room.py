"""A class room's question, and the run a student's view gives in answer (no Streamlit).

The instructor asks about a view of a page that can collect runs (the
Playground: its Run 1) and names the settings students may change. A
``Question`` keeps the view's query string and, for each allowed setting, its
link rule (``lab.links.Field.rule``), so that any app process can check an
answer the way the page's own link handling checks a link.

A student's answer is the values of those settings in the student's view. It
is refused, with a reason a page can say in its language (``Refused.rule``,
catalog ``room.refused.<rule>``), when the view is on another page, when a value
is outside what the setting allows, or when the view differs from the
question's in a setting that shapes the run and is not allowed to change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from . import links

MAX_TEXT = 200  # characters of a question
PAGES = ("playground",)  # pages whose Run 1 a student can submit
ROOM_KEY = "room"  # link parameter: the room a session joins
SECRET_KEY = "room_key"  # link parameter: the instructor's secret (read once, then dropped from the address)
# Link parameters that are no part of a view: each student keeps their own language, room and presentation mode.
HIDDEN = ("lang", "present", ROOM_KEY, SECRET_KEY)


class Refused(ValueError):
    """An answer or a question that cannot be taken; ``rule`` and ``fields`` fill catalog ``room.refused.<rule>``."""

    def __init__(self, rule: str, message: str, **fields):
        super().__init__(message)
        self.rule, self.fields = rule, fields


def view_query(params) -> dict[str, str]:
    """A page's link parameters without those that are no part of the view (the language, the room)."""
    return {str(k): str(v) for k, v in dict(params).items() if k not in HIDDEN}


def encode(query: dict) -> str:
    return urlencode(sorted(query.items()))


def decode(text: str) -> dict[str, str]:
    return dict(parse_qsl(text or "", keep_blank_values=True))


@dataclass(frozen=True)
class Question:
    text: str
    page: str
    query: tuple  # ((key, value), ...): the view asked about
    fields: tuple  # ((key, label, rule), ...): the settings students may change, in the order asked

    @property
    def view(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _, _ in self.fields)

    def label(self, key: str) -> str:
        return next(label for k, label, _ in self.fields if k == key)

    def field(self, key: str) -> links.Field:
        return links.from_rule(key, next(rule for k, _, rule in self.fields if k == key))

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "page": self.page, "query": dict(self.query),
                           "fields": [[k, label, rule] for k, label, rule in self.fields]},
                          ensure_ascii=False, separators=(",", ":"), default=float)

    @classmethod
    def from_json(cls, text: str) -> "Question":
        """The question stored as ``text``; ValueError when it is not one (every rule is rebuilt once here)."""
        try:
            data = json.loads(text)
            question = cls(str(data["text"]), str(data["page"]), tuple(sorted(view_query(data["query"]).items())),
                           tuple((str(k), str(label), dict(rule)) for k, label, rule in data["fields"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a stored question ({exc})") from None
        if question.page not in PAGES or not question.fields:
            raise ValueError(f"not a stored question (page {question.page!r}, {len(question.fields)} fields)")
        for key in question.keys:
            question.field(key)
        return question


def shapes(page: str):
    """``page``'s rule for which link parameters shape the run a student submits (None: the page collects none)."""
    if page == "playground":
        from .playground import shapes_run  # imported here: pages that collect nothing need not load the engine

        return shapes_run
    return None


def allowed_keys(page: str, fields: dict) -> list[str]:
    """The settings of ``page`` (its linked fields, by key) a question may let students change: those that shape
    the run a student submits."""
    rule = shapes(page)
    return [] if rule is None else [k for k in fields if rule(k)]


def ask(text: str, page: str, params, fields: dict, labels: dict, chosen) -> Question:
    """A question about the view ``params`` of ``page``, letting students change ``chosen`` (keys of ``fields``,
    the page's linked fields; ``labels`` their widgets' labels)."""
    text = " ".join(str(text).split())  # one line: it heads a CSV file and a banner
    if page not in PAGES:
        raise Refused("page_cannot_ask", f"{page!r} collects no runs", page=page)
    if len(text) > MAX_TEXT:
        raise Refused("text_length", f"the question is {len(text)} characters long; at most {MAX_TEXT}", n=MAX_TEXT)
    chosen = list(dict.fromkeys(chosen))
    possible = allowed_keys(page, fields)
    if not chosen:
        raise Refused("no_fields", "choose at least one setting students may change")
    wrong = [k for k in chosen if k not in possible]
    if wrong:
        raise Refused("not_a_setting", f"{wrong} cannot be asked about", keys=", ".join(wrong))
    return Question(text, page, tuple(sorted(view_query(params).items())),
                    tuple((k, str(labels.get(k, k)), fields[k].rule) for k in chosen))


def answer(question: Question, page: str, params) -> dict[str, str]:
    """The question's settings as the student's view ``params`` has them ({key: link text}), checked."""
    if page != question.page:
        raise Refused("other_page", f"the question is about the {question.page} page", page=question.page)
    student = view_query(params)
    values = {}
    for key in question.keys:
        field = question.field(key)
        raw = student.get(key)
        if raw is None:
            values[key] = field.format(field.default)
            continue
        try:
            values[key] = field.format(field.parse(raw))
        except links.LinkValueError as exc:
            raise Refused("value", str(exc), key=question.label(key), raw=exc.raw, link_rule=exc.rule,
                          link_fields=exc.fields) from None
    rule = shapes(question.page)
    base = question.view
    differs = sorted(k for k in set(base) | set(student)
                     if rule(k) and k not in values and base.get(k) != student.get(k))
    if differs:
        raise Refused("other_settings", f"the view differs from the question's in {differs}", keys=", ".join(differs))
    return values


def answered_view(question: Question, values: dict) -> dict[str, str]:
    """The link parameters of the run an answer stands for: the question's view with the answer's values
    (a value equal to the setting's default is left out, as a page's own link leaves it out)."""
    view = question.view
    for key in question.keys:
        field = question.field(key)
        raw = values.get(key)
        if raw is None or field.parse(raw) == field.default:
            view.pop(key, None)
        else:
            view[key] = raw
    return view
