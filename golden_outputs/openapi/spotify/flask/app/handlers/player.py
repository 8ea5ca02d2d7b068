# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Player operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app import components
from app.runtime import NotImplementedOperation


def get_information_about_the_users_current_playback(
    *,
    market: str | None = None,
    additional_types: str | None = None,
) -> Any:
    """GET /me/player: Get Playback State."""
    raise NotImplementedOperation("get-information-about-the-users-current-playback")


def transfer_a_users_playback(
    *,
    body: components.TransferAUsersPlaybackBody | None = None,
) -> Any:
    """PUT /me/player: Transfer Playback."""
    raise NotImplementedOperation("transfer-a-users-playback")


def get_a_users_available_devices() -> Any:
    """GET /me/player/devices: Get Available Devices."""
    raise NotImplementedOperation("get-a-users-available-devices")


def get_the_users_currently_playing_track(
    *,
    market: str | None = None,
    additional_types: str | None = None,
) -> Any:
    """GET /me/player/currently-playing: Get Currently Playing Track."""
    raise NotImplementedOperation("get-the-users-currently-playing-track")


def start_a_users_playback(
    *,
    body: components.StartAUsersPlaybackBody | None = None,
    device_id: str | None = None,
) -> Any:
    """PUT /me/player/play: Start/Resume Playback."""
    raise NotImplementedOperation("start-a-users-playback")


def pause_a_users_playback(*, device_id: str | None = None) -> Any:
    """PUT /me/player/pause: Pause Playback."""
    raise NotImplementedOperation("pause-a-users-playback")


def skip_users_playback_to_next_track(*, device_id: str | None = None) -> Any:
    """POST /me/player/next: Skip To Next."""
    raise NotImplementedOperation("skip-users-playback-to-next-track")


def skip_users_playback_to_previous_track(*, device_id: str | None = None) -> Any:
    """POST /me/player/previous: Skip To Previous."""
    raise NotImplementedOperation("skip-users-playback-to-previous-track")


def seek_to_position_in_currently_playing_track(
    *,
    position_ms: int,
    device_id: str | None = None,
) -> Any:
    """PUT /me/player/seek: Seek To Position."""
    raise NotImplementedOperation("seek-to-position-in-currently-playing-track")


def set_repeat_mode_on_users_playback(
    *,
    state: str,
    device_id: str | None = None,
) -> Any:
    """PUT /me/player/repeat: Set Repeat Mode."""
    raise NotImplementedOperation("set-repeat-mode-on-users-playback")


def set_volume_for_users_playback(
    *,
    volume_percent: int,
    device_id: str | None = None,
) -> Any:
    """PUT /me/player/volume: Set Playback Volume."""
    raise NotImplementedOperation("set-volume-for-users-playback")


def toggle_shuffle_for_users_playback(
    *,
    state: bool,
    device_id: str | None = None,
) -> Any:
    """PUT /me/player/shuffle: Toggle Playback Shuffle."""
    raise NotImplementedOperation("toggle-shuffle-for-users-playback")


def get_recently_played(
    *,
    limit: int | None = None,
    after: int | None = None,
    before: int | None = None,
) -> Any:
    """GET /me/player/recently-played: Get Recently Played Tracks."""
    raise NotImplementedOperation("get-recently-played")


def get_queue() -> Any:
    """GET /me/player/queue: Get the User's Queue."""
    raise NotImplementedOperation("get-queue")


def add_to_queue(*, uri: str, device_id: str | None = None) -> Any:
    """POST /me/player/queue: Add Item to Playback Queue."""
    raise NotImplementedOperation("add-to-queue")
