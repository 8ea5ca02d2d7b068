# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Tracks operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app import components
from app.runtime import NotImplementedOperation


def get_track(*, id: str, market: str | None = None) -> Any:
    """GET /tracks/{id}: Get Track."""
    raise NotImplementedOperation("get-track")


def get_several_tracks(*, ids: str, market: str | None = None) -> Any:
    """GET /tracks: Get Several Tracks."""
    raise NotImplementedOperation("get-several-tracks")


def get_users_saved_tracks(
    *,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/tracks: Get User's Saved Tracks."""
    raise NotImplementedOperation("get-users-saved-tracks")


def save_tracks_user(*, body: components.SaveTracksUserBody | None = None) -> Any:
    """PUT /me/tracks: Save Tracks for Current User."""
    raise NotImplementedOperation("save-tracks-user")


def remove_tracks_user(
    *,
    body: components.RemoveTracksUserBody | None = None,
    ids: str,
) -> Any:
    """DELETE /me/tracks: Remove User's Saved Tracks."""
    raise NotImplementedOperation("remove-tracks-user")


def check_users_saved_tracks(*, ids: str) -> Any:
    """GET /me/tracks/contains: Check User's Saved Tracks."""
    raise NotImplementedOperation("check-users-saved-tracks")


def get_several_audio_features(*, ids: str) -> Any:
    """GET /audio-features: Get Several Tracks' Audio Features."""
    raise NotImplementedOperation("get-several-audio-features")


def get_audio_features(*, id: str) -> Any:
    """GET /audio-features/{id}: Get Track's Audio Features."""
    raise NotImplementedOperation("get-audio-features")


def get_audio_analysis(*, id: str) -> Any:
    """GET /audio-analysis/{id}: Get Track's Audio Analysis."""
    raise NotImplementedOperation("get-audio-analysis")


def get_recommendations(
    *,
    limit: int | None = None,
    market: str | None = None,
    seed_artists: str | None = None,
    seed_genres: str | None = None,
    seed_tracks: str | None = None,
    min_acousticness: float | None = None,
    max_acousticness: float | None = None,
    target_acousticness: float | None = None,
    min_danceability: float | None = None,
    max_danceability: float | None = None,
    target_danceability: float | None = None,
    min_duration_ms: int | None = None,
    max_duration_ms: int | None = None,
    target_duration_ms: int | None = None,
    min_energy: float | None = None,
    max_energy: float | None = None,
    target_energy: float | None = None,
    min_instrumentalness: float | None = None,
    max_instrumentalness: float | None = None,
    target_instrumentalness: float | None = None,
    min_key: int | None = None,
    max_key: int | None = None,
    target_key: int | None = None,
    min_liveness: float | None = None,
    max_liveness: float | None = None,
    target_liveness: float | None = None,
    min_loudness: float | None = None,
    max_loudness: float | None = None,
    target_loudness: float | None = None,
    min_mode: int | None = None,
    max_mode: int | None = None,
    target_mode: int | None = None,
    min_popularity: int | None = None,
    max_popularity: int | None = None,
    target_popularity: int | None = None,
    min_speechiness: float | None = None,
    max_speechiness: float | None = None,
    target_speechiness: float | None = None,
    min_tempo: float | None = None,
    max_tempo: float | None = None,
    target_tempo: float | None = None,
    min_time_signature: int | None = None,
    max_time_signature: int | None = None,
    target_time_signature: int | None = None,
    min_valence: float | None = None,
    max_valence: float | None = None,
    target_valence: float | None = None,
) -> Any:
    """GET /recommendations: Get Recommendations."""
    raise NotImplementedOperation("get-recommendations")
