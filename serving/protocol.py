"""One browser session on Streamlit's websocket protocol (Streamlit 1.67).

What a browser does, and so what ``Session`` does:

1. GET the page (``/playground``): a load balancer in front may set its
   sticky cookie here, and the session sends that cookie on its websocket.
2. Open ``ws://host/_stcore/stream`` with the subprotocol header
   ``streamlit, PLACEHOLDER_AUTH_TOKEN`` and the page's Origin.
3. The server runs nothing on connect. Each run is asked for with a
   ``BackMsg(rerun_script=ClientState(...))`` that carries the page name and
   the value of every widget on the page; the server answers with
   ``new_session``, deltas (each widget's proto carries its ``id``), and
   ``script_finished``. The browser holds a value for each widget drawn in
   the last run: its initial value from the proto (``browser_value``), the
   server's value where the proto says ``set_value``, or what the user chose.
   (Sending only the changed widget is not the same: the Playground then
   resets settings that came from a link.)
4. The browser keeps large elements it received (``metadata.cacheable``) and
   lists their hashes in each request; the server then sends a short
   ``ref_hash`` for an element that did not change.
5. Fragments: a widget drawn inside a fragment comes in a delta that names
   the fragment (``delta.fragment_id``), and a click on it asks for a run of
   that fragment only. A fragment with ``run_every`` announces itself with an
   ``auto_rerun`` message (its id and interval); the browser then asks for a
   run of it at that interval (``ClientState.fragment_id``, ``is_auto_rerun``).
   A button's click is a ``trigger_value`` sent once.
6. The server may switch the page (``st.switch_page``): a ``navigation``
   message names the new page's script hash, ``page_info_changed`` its query
   string; the browser asks for later runs of that page.
7. The charts drawn in the browser (ui/plot.py) name their arrays and images
   by media URLs (``/media/<hash>.<ext>``); the browser fetches each URL it has
   not fetched before, and so does ``Session.run`` (counted in
   ``RunResult.media_bytes``).

Connections go to 127.0.0.1 only: the load test must never reach out.
"""
from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

SUBPROTOCOLS = ("streamlit", "PLACEHOLDER_AUTH_TOKEN")
STREAM_PATH = "/_stcore/stream"
MAX_MESSAGE_BYTES = 256 * 2**20  # Streamlit sends up to 200 MB (server.maxMessageSize); figures exceed 1 MiB
FINISHED_OK = ForwardMsg.FINISHED_SUCCESSFULLY
FINISHED_FRAGMENT_OK = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
WIDGET_KINDS = ("slider", "number_input", "selectbox", "radio", "checkbox", "text_input", "multiselect", "button")


class ProtocolError(RuntimeError):
    """The server answered in a way a browser would not accept."""


@dataclass
class RunResult:
    """One finished run as the browser sees it."""
    seconds: float  # from sending the request to receiving script_finished
    status: int  # ForwardMsg.ScriptFinishedStatus
    exceptions: list[str] = field(default_factory=list)  # st.exception elements shown (a page that raised)
    alerts: list[str] = field(default_factory=list)  # st.warning / st.error / st.info texts shown
    errors: list[str] = field(default_factory=list)  # the st.error texts among them
    successes: list[str] = field(default_factory=list)  # the st.success texts among them
    tables: list[int] = field(default_factory=list)  # rows of each st.dataframe drawn
    full_runs: int = 0  # whole-page runs the request led to (0 for a fragment run that stayed one)
    bytes_received: int = 0  # websocket messages and the media fetched after them
    media_bytes: int = 0  # of which media (the arrays and images of charts drawn in the browser)

    @property
    def ok(self) -> bool:
        return self.status in (FINISHED_OK, FINISHED_FRAGMENT_OK) and not self.exceptions


def local_url(url: str) -> str:
    """``url`` without a trailing slash; refuses anything but a loopback host."""
    host = urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise ValueError(f"url: host {host!r} is not local; the load test connects to 127.0.0.1 only")
    return url.rstrip("/")


def widget_key(widget_id: str) -> str | None:
    """The user key in a widget id (``$$ID-<hash>-<key>``), or None for a widget without a key."""
    head, sep, key = widget_id.rpartition("-")
    return key if sep and head.startswith("$$ID-") and key != "None" else None


def slider_state(proto, value) -> WidgetState:
    """The widget state a browser sends when slider ``proto`` is moved to ``value``:
    a select_slider (one with ``options``) sends the option's text, a slider the number."""
    state = WidgetState(id=proto.id)
    if len(proto.options):
        text = str(value)
        if text not in proto.options:
            raise ValueError(f"slider {widget_key(proto.id)!r}: {text!r} is not one of its options {list(proto.options)}")
        state.string_array_value.data.append(text)
    else:
        number = float(value)
        if not proto.min <= number <= proto.max:
            raise ValueError(f"slider {widget_key(proto.id)!r}: {number} is outside {proto.min} to {proto.max}")
        state.double_array_value.data.append(number)
    return state


def click_state(proto) -> WidgetState:
    """The widget state a browser sends once when button ``proto`` is clicked."""
    state = WidgetState(id=proto.id)
    state.trigger_value = True
    return state


def text_state(proto, text: str) -> WidgetState:
    """The widget state of text input ``proto`` holding ``text``."""
    state = WidgetState(id=proto.id)
    state.string_value = str(text)
    return state


def table_rows(arrow_data: bytes) -> int:
    """Rows of the table an st.dataframe element carries (Arrow IPC)."""
    import pyarrow as pa

    return pa.ipc.open_stream(arrow_data).read_all().num_rows


def number_state(proto, value: float) -> WidgetState:
    """The widget state of number input ``proto`` set to ``value`` (a float input)."""
    state = WidgetState(id=proto.id)
    state.double_value = float(value)
    return state


def browser_value(kind: str, proto) -> WidgetState | None:
    """The widget state a browser holds for a widget just drawn from ``proto`` (the server's value where
    it set one, else the widget's default); None where the widget starts empty."""
    state = WidgetState(id=proto.id)
    if kind == "slider" and len(proto.options):  # a select_slider: option texts
        texts = list(proto.raw_value) if proto.set_value else [proto.options[int(i)] for i in proto.default]
        state.string_array_value.data.extend(texts)
    elif kind == "slider":
        state.double_array_value.data.extend(proto.value if proto.set_value else proto.default)
    elif kind in ("selectbox", "radio"):
        if proto.set_value and proto.HasField("raw_value"):
            state.string_value = proto.raw_value
        elif proto.HasField("default"):
            state.string_value = proto.options[proto.default]
        else:
            return None
    elif kind == "multiselect":
        texts = list(proto.raw_values) if proto.set_value else [proto.options[i] for i in proto.default]
        state.string_array_value.data.extend(texts)
    elif kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif kind in ("number_input", "text_input"):
        field_name = "value" if proto.set_value and proto.HasField("value") else "default"
        if not proto.HasField(field_name):
            return None
        if kind == "number_input":
            state.double_value = getattr(proto, field_name)
        else:
            state.string_value = getattr(proto, field_name)
    else:
        return None
    return state


def rerun_request(page_name: str, states, cached_hashes=(), query_string: str = "", page_script_hash: str = "",
                  fragment_id: str = "", auto: bool = False) -> bytes:
    """The serialized BackMsg that asks for a run of ``page_name`` (or of one fragment on it) with the given
    widget states."""
    client_state = ClientState(query_string=query_string, page_script_hash=page_script_hash, page_name=page_name,
                               fragment_id=fragment_id, is_auto_rerun=auto)
    client_state.widget_states.widgets.extend(states)
    client_state.cached_message_hashes.extend(sorted(cached_hashes))
    return BackMsg(rerun_script=client_state).SerializeToString()


def parse_cookies(set_cookie_headers) -> dict[str, str]:
    """{name: value} from Set-Cookie header values (attributes such as Path dropped)."""
    jar = SimpleCookie()
    for header in set_cookie_headers:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: dict) -> dict:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


MEDIA_URL = re.compile(rb'"(/(?:[\w.-]+/)*media/[0-9a-f]+\.\w+)"')


def fetch_bytes(url: str, cookies: dict[str, str], timeout: float = 30.0) -> int:
    """GET ``url`` as a browser does, with the session's cookies (a load balancer's sticky cookie among
    them) and gzip accepted; returns the size of the body as transferred."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={**cookie_header(cookies), "Accept-Encoding": "gzip"})
    with opener.open(request, timeout=timeout) as response:
        return len(response.read())


def fetch_page(url: str, timeout: float = 30.0, cookies: dict | None = None) -> dict[str, str]:
    """GET ``url`` as a browser opening the link (sending ``cookies`` it already holds); returns the cookies
    it holds afterwards."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    request = urllib.request.Request(url, headers=cookie_header(cookies or {}))
    with opener.open(request, timeout=timeout) as response:
        response.read()
        return {**(cookies or {}), **parse_cookies(response.headers.get_all("Set-Cookie") or [])}


class Session:
    """A browser tab on one page: ``await Session.open(url, page)``, then ``run()`` and ``close()``."""

    def __init__(self, websocket, page_name: str, cookies: dict[str, str], query_string: str = "", base: str = ""):
        self.websocket = websocket
        self.base = base  # http://host:port, for media URLs
        self.fetched: set[str] = set()  # media URLs this browser already has
        self._wanted: list[str] = []  # media URLs named in the run being read
        self.page_name = page_name
        self.cookies = cookies
        self.widgets: dict[str, object] = {}  # user key -> the widget's latest proto
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this browser holds
        self._drawn: set[str] = set()  # widget ids drawn in the run being read
        self.cached_hashes: set[str] = set()
        self.query_string = query_string  # as in the address bar
        self.page_hash = ""  # the page the server switched to (navigation), else "" (page_name decides)
        self.pages: dict[str, str] = {}  # page script hash -> its URL name
        self.fragment_of: dict[str, str] = {}  # widget id -> the fragment it was drawn in
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds between its runs (run_every)
        self._announced: dict[str, float] = {}  # the same, announced by the run being read

    @classmethod
    async def open(cls, url: str, page_name: str = "", timeout: float = 30.0, query_string: str = "",
                   cookies: dict | None = None) -> "Session":
        """Open ``url``/``page_name``?``query_string`` as a browser following a link (nothing runs yet);
        ``cookies``: what the browser already holds (a load balancer's sticky cookie)."""
        base = local_url(url)
        link = f"{base}/{page_name}" + (f"?{query_string}" if query_string else "")
        cookies = await asyncio.to_thread(fetch_page, link, timeout, cookies)
        headers = cookie_header(cookies) or None
        websocket = await connect(
            "ws" + base[len("http"):] + STREAM_PATH, subprotocols=list(SUBPROTOCOLS), origin=base,
            additional_headers=headers, max_size=MAX_MESSAGE_BYTES, compression=None, proxy=None,
            open_timeout=timeout, ping_interval=None)
        return cls(websocket, page_name, cookies, query_string, base)

    def fragment_for(self, changes) -> str:
        """The fragment a browser reruns for ``changes``: theirs when they all lie in one, else "" (the page)."""
        fragments = {self.fragment_of.get(state.id, "") for state in changes}
        return fragments.pop() if len(fragments) == 1 else ""

    def request(self, changes=(), fragment_id: str = "", auto: bool = False) -> bytes:
        """The request a browser sends after the user made ``changes`` (WidgetStates): every value it holds
        (a click's trigger is sent once, not held)."""
        for state in changes:
            self.values[state.id] = state
        message = rerun_request(self.page_name, self.values.values(), self.cached_hashes, self.query_string,
                                self.page_hash, fragment_id, auto)
        for state in changes:
            if state.WhichOneof("value") == "trigger_value":
                self.values.pop(state.id, None)
        return message

    async def run(self, changes=(), timeout: float = 120.0, fragment_id: str = "", auto: bool = False) -> RunResult:
        """Ask for a run after ``changes`` (WidgetStates) and read until it finishes, including a whole-page run
        it leads to (st.rerun, st.switch_page). The run is of fragment ``fragment_id`` when given, else of the
        fragment the changed widgets lie in, as a browser asks; then fetch the media the run names."""
        started = time.perf_counter()
        fragment_id = fragment_id or (self.fragment_for(changes) if changes else "")
        await self.websocket.send(self.request(changes, fragment_id, auto))
        self._drawn = set()
        result = RunResult(seconds=0.0, status=-1)
        async with asyncio.timeout(timeout):
            while not self._read(await self.websocket.recv(), result):
                pass
        if result.status == FINISHED_OK:  # widgets the page no longer draws are forgotten
            self.values = {i: v for i, v in self.values.items() if i in self._drawn}
        elif result.status == FINISHED_FRAGMENT_OK and fragment_id:  # ... and those the fragment no longer draws
            self.values = {i: v for i, v in self.values.items()
                           if i in self._drawn or self.fragment_of.get(i, "") != fragment_id}
        new = [u for u in dict.fromkeys(self._wanted) if u not in self.fetched]
        self._wanted = []
        if new:
            sizes = await asyncio.gather(*(asyncio.to_thread(fetch_bytes, self.base + u, self.cookies, timeout)
                                           for u in new))
            self.fetched.update(new)
            result.media_bytes = sum(sizes)
            result.bytes_received += result.media_bytes
        result.seconds = time.perf_counter() - started
        return result

    async def click(self, key: str, changes=(), timeout: float = 120.0) -> RunResult:
        """Click the button with user key ``key`` (with ``changes`` made first): a run of its fragment, if it
        was drawn in one, else of the page."""
        button = self.widget(key)
        return await self.run([*changes, click_state(button)], timeout=timeout,
                              fragment_id=self.fragment_of.get(button.id, ""))

    @property
    def page(self) -> str:
        """The page this session shows: the one the server switched to, else the one it opened."""
        return self.pages.get(self.page_hash, self.page_name) if self.page_hash else self.page_name

    def _read(self, data: bytes, result: RunResult) -> bool:
        """Take in one ForwardMsg; True once it says the run finished."""
        result.bytes_received += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._read_delta(msg, result)
        elif kind == "page_info_changed":  # the page rewrote its URL; the browser sends it from now on
            self.query_string = msg.page_info_changed.query_string
        elif kind == "new_session":  # a run starts (of the page, or of a fragment)
            self._announced = {}
        elif kind == "navigation":
            self.pages.update({p.page_script_hash: p.url_pathname for p in msg.navigation.app_pages})
            if msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self._announced[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            result.exceptions.append(msg.session_event.script_compilation_exception.message)
        elif kind == "script_finished":
            result.status = msg.script_finished
            if msg.script_finished == FINISHED_OK:  # a page run announces every run_every fragment it keeps
                result.full_runs += 1
                self.auto_reruns = dict(self._announced)
            elif msg.script_finished == FINISHED_FRAGMENT_OK:
                self.auto_reruns.update(self._announced)
            return msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        return False

    def _read_delta(self, msg, result: RunResult) -> None:
        if msg.metadata.cacheable and msg.hash:
            self.cached_hashes.add(msg.hash)
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            where = f" (at {element.exception.stack_trace[-1].strip()})" if element.exception.stack_trace else ""
            result.exceptions.append(f"{element.exception.type}: {element.exception.message}{where}")
        elif kind == "alert":
            result.alerts.append(element.alert.body)
            if element.alert.format == element.alert.ERROR:
                result.errors.append(element.alert.body)
            elif element.alert.format == element.alert.SUCCESS:
                result.successes.append(element.alert.body)
        elif kind == "dataframe":
            result.tables.append(table_rows(element.dataframe.arrow_data.data))
        elif kind == "bidi_component" and element.bidi_component.bytes:
            self._wanted += [m.decode() for m in MEDIA_URL.findall(element.bidi_component.bytes)]
        elif kind in WIDGET_KINDS:
            proto = getattr(element, kind)
            self._drawn.add(proto.id)
            if msg.delta.fragment_id:
                self.fragment_of[proto.id] = msg.delta.fragment_id
            else:
                self.fragment_of.pop(proto.id, None)
            if kind != "button" and (proto.set_value or proto.id not in self.values):
                value = browser_value(kind, proto)
                if value is not None:
                    self.values[proto.id] = value
            key = widget_key(proto.id)
            if key:
                self.widgets[key] = proto

    def widget(self, key: str):
        """The proto of the widget with user key ``key`` as last drawn."""
        try:
            return self.widgets[key]
        except KeyError:
            raise ProtocolError(f"the page drew no widget with key {key!r}; it has {sorted(self.widgets)}") from None

    async def close(self) -> None:
        await self.websocket.close()
