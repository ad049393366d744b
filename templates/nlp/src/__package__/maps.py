"""Where is...? Geocoding through OpenStreetMap Nominatim, politely.

Nominatim's usage policy (https://operations.osmfoundation.org/policies/nominatim/) asks for at
most one request per second, a User-Agent that identifies the application, and caching of
results. This client does all three, with a timeout on every request. The server is
configurable (NOMINATIM_URL), so tests point it at a fake one on 127.0.0.1 and you can point it
at your own Nominatim.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from . import config

if TYPE_CHECKING:
    from .handlers import Context


class GeocodeError(RuntimeError):
    """The map service could not be reached or answered with an error."""


@dataclass
class Place:
    query: str
    name: str
    address: str
    lat: float
    lon: float

    @property
    def url(self) -> str:
        return f"https://www.openstreetmap.org/?mlat={self.lat:.5f}&mlon={self.lon:.5f}#map=14/{self.lat:.5f}/{self.lon:.5f}"


class NominatimClient:
    def __init__(
        self,
        base_url: str = config.NOMINATIM_URL,
        user_agent: str = config.USER_AGENT,
        cache_path: Path | None = config.GEOCODE_CACHE,
        timeout: float = config.GEOCODE_TIMEOUT_S,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.min_interval = min_interval
        self.cache_path = Path(cache_path) if cache_path else None
        self._clock, self._sleep = clock, sleep
        self._last_request: float | None = None
        # The web server answers several chats at once: one request at a time, in order.
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent
        self._cache: dict[str, dict | None] = {}
        if self.cache_path and self.cache_path.exists():
            self._cache = json.loads(self.cache_path.read_text(encoding="utf-8"))

    def _wait_for_turn(self) -> None:
        """Sleep until at least `min_interval` seconds have passed since the last request."""
        if self._last_request is not None:
            wait = self.min_interval - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def geocode(self, query: str) -> Place | None:
        """The best match for `query`, None if there is none. Raises GeocodeError when the
        service cannot be reached."""
        key = " ".join(query.lower().split())
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._search(query)
                self._save_cache()
            found = self._cache[key]
        return Place(**found) if found else None

    def _search(self, query: str) -> dict | None:
        self._wait_for_turn()
        try:
            response = self._session.get(
                f"{self.base_url}/search",
                params={"q": query, "format": "jsonv2", "limit": 1},
                timeout=self.timeout,
            )
            response.raise_for_status()
            results = response.json()
        # Short messages: they end up in the chat reply.
        except requests.Timeout as error:
            raise GeocodeError(f"no answer from {self.base_url} in {self.timeout:g} s") from error
        except requests.ConnectionError as error:
            raise GeocodeError(f"could not connect to {self.base_url}") from error
        except requests.HTTPError as error:
            status = error.response.status_code
            raise GeocodeError(f"{self.base_url} answered HTTP {status}") from error
        except (requests.RequestException, ValueError) as error:
            raise GeocodeError(f"unusable answer from {self.base_url}: {error}") from error
        if not results:
            return None
        best = results[0]
        return asdict(
            Place(
                query=query,
                name=best.get("name") or query,
                address=best.get("display_name", ""),
                lat=float(best["lat"]),
                lon=float(best["lon"]),
            )
        )

    def _save_cache(self) -> None:
        if self.cache_path:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            self.cache_path.write_text(json.dumps(self._cache, indent=1), encoding="utf-8")


# "where is the Eiffel Tower?", "what is near Times Square", "show me Kyoto on a map"
_PLACE_AFTER = re.compile(
    r"(?:where(?:'s|\s+is|\s+are|\s+can\s+i\s+find|\s+on\s+earth\s+is|\s+exactly\s+is)?|near|"
    r"around|close\s+to|find|locate|location\s+of|coordinates\s+of|map\s+of|show\s+me)"
    r"\s+(?:the\s+)?(?P<place>.+?)"
    r"(?:\s+(?:on\s+(?:a|the)\s+map|is\s+located|located|is|please))*\s*[?.!]*$",
    re.IGNORECASE,
)


def place_in(context: Context) -> str | None:
    """The place a where-is question asks about: a known place entity, else the words after
    "where is" / "near" / "find"..."""
    entity = context.first("place")
    if entity:
        return str(entity.value)
    match = _PLACE_AFTER.search(context.message.strip())
    return match.group("place").strip() if match else None


def where_is(context: Context) -> str:
    place = place_in(context)
    if not place:
        return "Which place? For example: where is the Eiffel Tower?"
    if context.geocoder is None:
        return "Maps are not set up in this bot."
    try:
        found = context.geocoder.geocode(place)
    except GeocodeError as error:
        return f"Sorry, I can't reach the map service (OpenStreetMap Nominatim) right now: {error}"
    if found is None:
        return f"I couldn't find {place} on OpenStreetMap."
    return context.template().format(
        place=found.name,
        address=found.address,
        lat=f"{found.lat:.4f}",
        lon=f"{found.lon:.4f}",
        url=found.url,
    )
