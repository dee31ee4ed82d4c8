"""Typed reading of one TOML section, collecting problems instead of raising.

Each getter returns a usable value (the default when the key is wrong) and records
``section.key: what is wrong`` so that :func:`bot.config.parse_config` can report
every problem of a file at once. Keys that no getter asked for are reported as
unknown by :meth:`SectionReader.finish`, which catches typos such as ``bse_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final, overload
from urllib.parse import urlsplit

_MISSING: Final = object()
PROXY_SCHEMES: Final = ("http", "https", "socks5", "socks5h", "socks4")


class Secret:
    """A secret string that never shows itself in ``repr``/``str`` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class ConfigError(Exception):
    """The configuration has problems; ``problems`` lists each with its key."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems) or ["configuration is invalid"]
        super().__init__("\n".join(self.problems))


class SectionReader:
    def __init__(
        self,
        name: str,
        values: Mapping[str, object],
        problems: list[str],
        env: Mapping[str, str],
        *,
        present: bool,
    ) -> None:
        self.name = name
        self.present = present
        self._values = values
        self._problems = problems
        self._env = env
        self._seen: set[str] = set()

    @classmethod
    def of(
        cls,
        raw: Mapping[str, object],
        name: str,
        problems: list[str],
        env: Mapping[str, str],
        *,
        required: bool = False,
    ) -> SectionReader:
        section = raw.get(name, _MISSING)
        if section is _MISSING:
            if required:
                problems.append(f"{name}: missing section [{name}]")
            return cls(name, {}, problems, env, present=False)
        if not isinstance(section, Mapping):
            problems.append(f"{name}: must be a table [{name}]")
            return cls(name, {}, problems, env, present=False)
        return cls(name, section, problems, env, present=True)

    def problem(self, key: str, message: str) -> None:
        # An absent section is reported once, as a whole, not key by key.
        if self.present:
            self._problems.append(f"{self.name}.{key}: {message}")

    def given(self, key: str) -> bool:
        """Whether the file sets ``key`` (or ``key_env``) at all."""
        return key in self._values or f"{key}_env" in self._values

    def _get(self, key: str) -> object:
        self._seen.add(key)
        return self._values.get(key, _MISSING)

    def raw(self, key: str) -> object | None:
        """The value as written (None when absent), for readers of their own shapes."""
        value = self._get(key)
        return None if value is _MISSING else value

    def child(self, key: str, values: Mapping[str, object]) -> SectionReader:
        """A reader for the nested table ``[<section>.<key>]``."""
        return SectionReader(f"{self.name}.{key}", values, self._problems, self._env,
                             present=True)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self._get(key)
        if value is _MISSING:
            if default is None:
                self.problem(key, "missing")
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "must be a non-empty string")
            return default
        return value.strip()

    def optional_str(self, key: str) -> str | None:
        value = self._get(key)
        if value is _MISSING or value == "":
            return None
        if not isinstance(value, str):
            self.problem(key, "must be a string")
            return None
        return value.strip()

    def url(
        self, key: str, default: str | None = None, schemes: tuple[str, ...] = ("http", "https")
    ) -> str | None:
        value = self.string(key, default)
        if value is not None and value != default and not _is_url(value, schemes):
            self.problem(key, _url_problem(schemes))
            return None
        return value

    def optional_url(
        self, key: str, schemes: tuple[str, ...] = ("http", "https")
    ) -> str | None:
        value = self.optional_str(key)
        if value is not None and not _is_url(value, schemes):
            self.problem(key, _url_problem(schemes))
            return None
        return value

    def secret(self, key: str) -> str | None:
        """``key`` given directly, or ``key_env`` naming an environment variable."""
        direct = self._get(key)
        env_key = f"{key}_env"
        indirect = self._get(env_key)
        if direct is not _MISSING and indirect is not _MISSING:
            self.problem(key, f"give either {key} or {env_key}, not both")
            return None
        if direct is not _MISSING:
            if not isinstance(direct, str) or not direct.strip():
                self.problem(key, "must be a non-empty string")
                return None
            return direct.strip()
        if indirect is _MISSING:
            self.problem(key, f"missing (set {key} or {env_key})")
            return None
        if not isinstance(indirect, str) or not indirect.strip():
            self.problem(env_key, "must name an environment variable")
            return None
        value = self._env.get(indirect.strip(), "").strip()
        if not value:
            self.problem(env_key, f"environment variable {indirect.strip()} is not set")
            return None
        return value

    def optional_secret(self, key: str) -> str | None:
        """Like :meth:`secret`, but absent is fine."""
        if key not in self._values and f"{key}_env" not in self._values:
            self._seen.update((key, f"{key}_env"))
            return None
        return self.secret(key)

    def proxy(self) -> Secret | None:
        """``proxy`` (or ``proxy_env``): an http(s):// or socks5:// URL, maybe with credentials."""
        value = self.optional_secret("proxy")
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
            # The value may carry a password: the problem names the key, never the value.
            self.problem("proxy", "must be a URL starting with "
                      + ", ".join(f"{scheme}://" for scheme in PROXY_SCHEMES))
            return None
        return Secret(value)

    @overload
    def host_port(self, key: str, default: tuple[str, int]) -> tuple[str, int]: ...

    @overload
    def host_port(self, key: str, default: None) -> tuple[str, int] | None: ...

    def host_port(self, key: str, default: tuple[str, int] | None) -> tuple[str, int] | None:
        """``"host:port"``, e.g. ``"0.0.0.0:8080"``."""
        value = self.optional_str(key)
        if value is None:
            return default
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            self.problem(key, 'must be "host:port", e.g. "127.0.0.1:8443"')
            return default
        return host.strip("[]"), int(port)

    def number(
        self, key: str, default: float, *, minimum: float, maximum: float
    ) -> float:
        value = self._get(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(key, "must be a number")
            return default
        if not minimum <= value <= maximum:
            self.problem(key, f"must be between {minimum:g} and {maximum:g}")
            return default
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.problem(key, "must be true or false")
            return default
        return value

    def choice(
        self,
        key: str,
        default: str,
        allowed: tuple[str, ...],
        normalise: Callable[[str], str] = str.lower,
    ) -> str:
        value = self._get(key)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or normalise(value) not in allowed:
            self.problem(key, f"must be one of {', '.join(repr(a) for a in allowed)}")
            return default
        return normalise(value)

    def str_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key)
        if value is _MISSING:
            return default
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            self.problem(key, "must be a non-empty list of strings")
            return default
        return tuple(v.strip() for v in value)

    def int_list(self, key: str, *, minimum: int = 1, non_empty: bool = False
                 ) -> tuple[int, ...]:
        value = self._get(key)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or (non_empty and not value) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value
        ):
            what = "positive integers" if minimum == 1 else f"integers from {minimum}"
            self.problem(key, f"must be a {'non-empty ' if non_empty else ''}list of {what}")
            return ()
        return tuple(value)

    def finish(self) -> None:
        for key in self._values:
            if key not in self._seen:
                self.problem(key, "unknown key")


def _is_url(value: str, schemes: tuple[str, ...]) -> bool:
    parts = urlsplit(value)
    return parts.scheme in schemes and bool(parts.netloc)


def _url_problem(schemes: tuple[str, ...]) -> str:
    return "must be a URL starting with " + " or ".join(f"{s}://" for s in schemes)
